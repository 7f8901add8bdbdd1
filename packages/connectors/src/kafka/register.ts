/** Replaces the declaration-only `kafka` entry of the source registry with the real connector. */
import { registerSourceConnector } from '../registry';
import { kafkaSourceConnector } from './connector';

registerSourceConnector(kafkaSourceConnector);

/** Replaces the declaration-only `postgres-cdc` entry of the source registry with the real connector. */
import { registerSourceConnector } from '../registry';
import { postgresCdcConnector } from './connector';

registerSourceConnector(postgresCdcConnector);

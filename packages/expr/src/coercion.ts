/**
 * The coercion rules overload resolution uses, from cast.ts (RisingWave's cast table).
 * Kept as a seam so resolution code names exactly what it needs.
 */
export { canCast, commonSupertype } from './cast';

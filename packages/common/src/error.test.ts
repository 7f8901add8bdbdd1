import { describe, expect, it } from 'vitest';
import { SqlError, SqlState, errorReport, withContext } from './error';

describe('error chains', () => {
  it('renders a single error as RisingWave does', () => {
    const e = new SqlError(SqlState.SyntaxError, 'Invalid input syntax: bad');
    expect(errorReport('Failed to run the query', e)).toBe('Failed to run the query\n\nCaused by:\n  Invalid input syntax: bad');
  });

  it('lists context outermost first and the root cause last', () => {
    const root = new SqlError(SqlState.InvalidParameterValue, 'LIMIT must not be negative, but found: -2', { hint: 'h' });
    const e = withContext(root, 'Expr error');
    expect(e.message).toBe(root.message);
    expect(e.code).toBe(root.code);
    expect(e.hint).toBe('h');
    expect(errorReport('Failed to run the query', e)).toBe(
      'Failed to run the query\n\nCaused by these errors (recent errors listed first):\n  1: Expr error\n  2: LIMIT must not be negative, but found: -2',
    );
    expect(withContext(e, 'outer').context).toEqual(['outer', 'Expr error']);
  });
});

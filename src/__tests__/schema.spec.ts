import schema from '../../schema/plugin.json';

import { DEFAULT_SETTINGS } from '../settings';

/** The settings editor shows `oneOf` titles, so a person reads "Newest first". */
describe('settings schema', () => {
  it.each(['defaultSort', 'defaultScope'])('%s offers labels, not raw values', key => {
    const prop = (schema as any).properties[key];
    expect(prop.enum).toBeUndefined();
    expect(prop.oneOf.length).toBeGreaterThan(1);
    for (const choice of prop.oneOf) {
      expect(typeof choice.const).toBe('string');
      expect(choice.title).toBeTruthy();
      expect(choice.title).not.toBe(choice.const);
    }
    const values = prop.oneOf.map((c: any) => c.const);
    expect(values).toContain(prop.default);
    expect(values).toContain((DEFAULT_SETTINGS as any)[key]);
  });

  it('sort labels read as the list does', () => {
    const sort = (schema as any).properties.defaultSort.oneOf;
    expect(sort.find((c: any) => c.const === 'created_at desc').title).toBe('Newest first');
  });
});

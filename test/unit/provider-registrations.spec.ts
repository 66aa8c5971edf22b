import { clickfunnelsApiV2 } from '../../src/providers/clickfunnels/clickfunnels.events';
import { registerEach } from '../../src/providers/core/provider-events';
import { keapApiV1 } from '../../src/providers/keap/keap.events';
import { webflowApiV2 } from '../../src/providers/webflow/webflow.events';

describe('registration URLs from a connection API base', () => {
  it('ClickFunnels 2.0: the default base ends with /api/v2, a workspace_url is an origin to prefix', () => {
    expect(clickfunnelsApiV2('https://accounts.myclickfunnels.com/api/v2')).toBe(
      'https://accounts.myclickfunnels.com/api/v2',
    );
    expect(clickfunnelsApiV2('https://clickfunneller.myclickfunnels.com')).toBe(
      'https://clickfunneller.myclickfunnels.com/api/v2',
    );
    expect(clickfunnelsApiV2('https://clickfunneller.myclickfunnels.com/')).toBe(
      'https://clickfunneller.myclickfunnels.com/api/v2',
    );
  });

  it('Keap …/v1 and Webflow …/v2, with or without the version in the base', () => {
    expect(keapApiV1('https://api.infusionsoft.com/crm/rest/v1')).toBe('https://api.infusionsoft.com/crm/rest/v1');
    expect(keapApiV1('https://api.infusionsoft.com/crm/rest')).toBe('https://api.infusionsoft.com/crm/rest/v1');
    expect(webflowApiV2('https://api.webflow.com/v2/')).toBe('https://api.webflow.com/v2');
    expect(webflowApiV2('https://api.webflow.com')).toBe('https://api.webflow.com/v2');
  });
});

describe('registerEach', () => {
  it('registers every part in order', async () => {
    await expect(registerEach(['a', 'b'], (p) => Promise.resolve(`id-${p}`), jest.fn())).resolves.toEqual([
      'id-a',
      'id-b',
    ]);
  });

  it('a failure removes what was registered before it (even if a removal fails) and rethrows', async () => {
    const removed: string[] = [];
    const failure = new Error('third failed');
    await expect(
      registerEach(
        ['a', 'b', 'c', 'd'],
        (p) => (p === 'c' ? Promise.reject(failure) : Promise.resolve(`id-${p}`)),
        (id) => {
          removed.push(id);
          return id === 'id-a' ? Promise.reject(new Error('removal failed')) : Promise.resolve();
        },
      ),
    ).rejects.toBe(failure);
    expect(removed).toEqual(['id-a', 'id-b']);
  });
});

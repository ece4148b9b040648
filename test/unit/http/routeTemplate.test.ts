// shared/http/routeTemplate.ts: the console dispatches into the admin routes by the same templates the Functions
// host uses, so a path must match here exactly when it would match on the host.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileTemplate, findTemplate, matchTemplate } from '../../../shared/http/routeTemplate.js';

describe('compileTemplate', () => {
  it('refuses the template features this matcher does not implement, rather than matching them wrongly', () => {
    for (const t of ['manage/{*rest}', 'manage/{id:int}', 'manage/x{id}', 'manage/{id']) {
      assert.throws(() => compileTemplate(t), /not supported/, t);
    }
  });
});

describe('matchTemplate', () => {
  const route = compileTemplate('manage/sites/{siteId}/projects/{projectKey?}');

  it('matches literals case-insensitively and returns the decoded params', () => {
    assert.deepEqual(matchTemplate(route, 'Manage/SITES/acme%20cloud/projects/INC'), { siteId: 'acme cloud', projectKey: 'INC' });
  });

  it('an optional last parameter may be left off, with or without a trailing slash', () => {
    assert.deepEqual(matchTemplate(route, 'manage/sites/acme/projects'), { siteId: 'acme' });
    assert.deepEqual(matchTemplate(route, 'manage/sites/acme/projects/'), { siteId: 'acme' });
  });

  it('refuses a missing required segment, an extra segment, an empty segment and a different literal', () => {
    assert.equal(matchTemplate(route, 'manage/sites'), undefined);
    assert.equal(matchTemplate(route, 'manage/sites/acme/projects/INC/extra'), undefined);
    assert.equal(matchTemplate(route, 'manage/sites//projects/INC'), undefined);
    assert.equal(matchTemplate(route, 'manage/site/acme/projects'), undefined);
  });

  it('refuses a path whose escape does not decode instead of throwing', () => {
    assert.equal(matchTemplate(route, 'manage/sites/%E0%A4%A/projects'), undefined);
  });

  it('an encoded slash stays inside its parameter', () => {
    assert.deepEqual(matchTemplate(compileTemplate('manage/x/{id}'), 'manage/x/a%2Fb'), { id: 'a/b' });
  });
});

describe('findTemplate', () => {
  const routes = [
    { name: 'one', route: compileTemplate('manage/sites/{siteId}') },
    { name: 'literal', route: compileTemplate('manage/sites/export') },
    { name: 'jobs', route: compileTemplate('manage/{area}/jobs') },
  ];

  it('a literal segment beats a parameter, whatever the order of the routes', () => {
    assert.equal(findTemplate(routes, 'manage/sites/export')?.entry.name, 'literal');
    assert.equal(findTemplate([...routes].reverse(), 'manage/sites/export')?.entry.name, 'literal');
    assert.deepEqual(findTemplate(routes, 'manage/sites/acme'), { entry: routes[0], params: { siteId: 'acme' } });
  });

  it('no route for a path that matches none', () => {
    assert.equal(findTemplate(routes, 'manage/nothing/here/at/all'), undefined);
  });
});

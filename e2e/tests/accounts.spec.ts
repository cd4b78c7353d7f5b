// A person's first minutes: signing up and in with errors that describe what is in the form now, the rules said
// before they are broken, a quiet signed-out page, and "My boards" that follows what others do.
import { expect, test } from '@playwright/test';
import { PASSWORD, api, invite, signUp, uniq } from './helpers';

test('a signed-out visit to / and /signin logs no console errors', async ({ page }) => {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));

  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await page.goto('/signin');
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await page.waitForLoadState('networkidle');
  expect(errors).toEqual([]);
});

test('sign-up errors describe the username as it is now, not as it was submitted', async ({ page, request }) => {
  const taken = uniq('taken');
  await api(request, 'POST', '/api/auth/register', { username: taken, password: PASSWORD });

  await page.goto('/signup');
  await page.getByLabel('Username').fill(taken);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByTestId('username-error')).toHaveText('That username is taken.');
  await expect(page.getByLabel('Username')).toHaveAttribute('aria-invalid', 'true');

  // A new, invalid name: only its own problem is shown, before and after submitting.
  await page.getByLabel('Username').fill('no spaces');
  await expect(page.getByText('That username is taken.')).toHaveCount(0);
  await expect(page.getByTestId('username-error')).toHaveText(/^Username may contain only/);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByText('That username is taken.')).toHaveCount(0);
  await expect(page.getByTestId('username-error')).toHaveCount(1);

  // A free name: no error at all, and the account is made.
  await page.getByLabel('Username').fill(uniq('free'));
  await expect(page.getByTestId('username-error')).toHaveCount(0);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { name: 'My boards' })).toBeVisible();
});

test('a failed sign-in message goes away once the person corrects the form', async ({ page, request }) => {
  const username = uniq('sam');
  await api(request, 'POST', '/api/auth/register', { username, password: PASSWORD });

  await page.goto('/signin');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toBeVisible();
  await page.getByLabel('Password').fill(PASSWORD);
  await expect(page.getByRole('alert')).toHaveCount(0);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'My boards' })).toBeVisible();
});

test('sign-up says the password rule up front and shows the name you will sign in as', async ({ page }) => {
  await page.goto('/signup');
  const password = page.getByLabel('Password');
  await expect(password).toHaveAccessibleDescription(/At least 8 characters/);
  await expect(page.getByTestId('password-hint')).toBeVisible();

  const name = uniq('Ann');
  await page.getByLabel('Username').fill(name);
  await expect(page.getByTestId('username-as')).toHaveText(`You will sign in as ${name.toLowerCase()}`);
  await expect(page.getByLabel('Username')).toHaveAccessibleDescription(
    new RegExp(`You will sign in as ${name.toLowerCase()}`),
  );

  await password.fill('short');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByTestId('password-error')).toHaveText('Password needs at least 8 characters.');
  await expect(page.getByText(/bytes/)).toHaveCount(0);
  await expect(password).toHaveAccessibleDescription(/Password needs at least 8 characters/);

  await password.fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByTestId('current-user')).toHaveText(name.toLowerCase());
});

test("Bob's open boards page follows what Ann does to his boards, without reloading", async ({ browser }) => {
  const ann = await signUp(browser, 'ann', 'Ann Lee');
  const bob = await signUp(browser, 'bob', 'Bob Stone');
  await expect(bob.page.getByText('No boards yet')).toBeVisible();
  const board = await api(ann.page.request, 'POST', '/api/boards', { title: 'Launch' });
  const tile = bob.page.getByRole('link', { name: /Launch/ });

  await invite(ann, board.id, bob, 'editor');
  await expect(tile).toBeVisible();
  await expect(tile).toContainText('editor');

  await api(ann.page.request, 'PATCH', `/api/boards/${board.id}`, { title: 'Launch day' });
  await expect(tile).toContainText('Launch day');

  const bobsId = (await api(bob.page.request, 'GET', '/api/auth/session')).user.id;
  await api(ann.page.request, 'DELETE', `/api/boards/${board.id}/members/${bobsId}`);
  await expect(tile).toHaveCount(0);
  await expect(bob.page.getByText('No boards yet')).toBeVisible();

  await invite(ann, board.id, bob, 'viewer');
  await expect(tile).toBeVisible();
  await api(ann.page.request, 'DELETE', `/api/boards/${board.id}`);
  await expect(tile).toHaveCount(0);
  await expect(bob.page.getByText('No boards yet')).toBeVisible();
  expect(bob.page.url()).toMatch(/\/$/);
});

// Shared steps of the acceptance tests: people, boards and drags, written the way a user does them.
import { APIRequestContext, Browser, BrowserContext, Locator, Page, expect } from '@playwright/test';

export const PASSWORD = 'correct horse battery';

export function uniq(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

export interface Person {
  context: BrowserContext;
  page: Page;
  username: string;
  name: string;
}

/** A new person in their own browser context (own cookies), signed up through the UI. */
export async function signUp(browser: Browser, prefix: string, name: string): Promise<Person> {
  const context = await browser.newContext();
  const page = await context.newPage();
  // Any alert() means a script ran that should not have (the XSS test relies on this too).
  page.on('dialog', (d) => {
    throw new Error(`unexpected dialog: ${d.type()} ${d.message()}`);
  });
  const username = uniq(prefix);
  await page.goto('/signup');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Display name').fill(name);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { name: 'My boards' })).toBeVisible();
  return { context, page, username, name };
}

/** JSON REST call with the person's session cookie (no Origin header: like any non-browser client). */
export async function api<T = any>(request: APIRequestContext, method: string, url: string, data?: unknown): Promise<T> {
  const res = await request.fetch(url, { method, data, failOnStatusCode: false });
  if (!res.ok()) {
    throw new Error(`${method} ${url} → ${res.status()} ${await res.text()}`);
  }
  return res.status() === 204 ? (undefined as T) : res.json();
}

export interface Seeded {
  boardId: string;
  lists: Record<string, string>;
  cards: Record<string, string>;
}

/** A board with lists and cards, made over REST (for tests whose subject is not creating them). */
export async function seedBoard(p: Person, title: string, layout: Record<string, string[]>): Promise<Seeded> {
  const req = p.page.request;
  const board = await api(req, 'POST', '/api/boards', { title });
  const lists: Record<string, string> = {};
  const cards: Record<string, string> = {};
  for (const [listTitle, cardTitles] of Object.entries(layout)) {
    const list = await api(req, 'POST', `/api/boards/${board.id}/lists`, { title: listTitle });
    lists[listTitle] = list.id;
    for (const c of cardTitles) {
      const card = await api(req, 'POST', `/api/lists/${list.id}/cards`, { title: c });
      cards[c] = card.id;
    }
  }
  return { boardId: board.id, lists, cards };
}

export async function invite(owner: Person, boardId: string, who: Person, role: string) {
  await api(owner.page.request, 'POST', `/api/boards/${boardId}/members`, { username: who.username, role });
}

/** Ann (owner) and Bob (editor) both looking at a new board laid out as `layout`, both live. */
export async function annAndBobLive(browser: Browser, title: string, layout: Record<string, string[]>) {
  const ann = await signUp(browser, 'ann', 'Ann Lee');
  const bob = await signUp(browser, 'bob', 'Bob Stone');
  const seeded = await seedBoard(ann, title, layout);
  await invite(ann, seeded.boardId, bob, 'editor');
  await openBoard(ann, seeded.boardId);
  await openBoard(bob, seeded.boardId);
  await expect(bob.page.getByTestId('connection-status')).toHaveText('Live');
  return { ann, bob, seeded };
}

export async function openBoard(p: Person, boardId: string) {
  await p.page.goto(`/boards/${boardId}`);
  await expect(p.page.getByTestId('board-title')).toBeVisible();
}

export function list(page: Page, title: string): Locator {
  return page.getByTestId('list').filter({ has: page.getByTestId('list-title').getByText(title, { exact: true }) });
}

export function card(page: Page, title: string): Locator {
  return page.getByTestId('card').filter({ has: page.locator('.card-title').getByText(title, { exact: true }) });
}

export function cardTitles(page: Page, listTitle: string): Locator {
  return list(page, listTitle).locator('[data-testid=card] .card-title');
}

/** Every list's title and card titles, in the order shown. */
export async function shownBoard(page: Page): Promise<[string, string[]][]> {
  return page.$$eval('[data-testid=list]', (cols) =>
    cols.map((c) => [
      (c.querySelector('[data-testid=list-title]')?.textContent ?? '').trim(),
      Array.from(c.querySelectorAll('[data-testid=card] .card-title')).map((e) => e.textContent ?? ''),
    ]),
  ) as Promise<[string, string[]][]>;
}

/** The same, as the server has it. */
export async function storedBoard(request: APIRequestContext, boardId: string): Promise<[string, string[]][]> {
  const snap = await api(request, 'GET', `/api/boards/${boardId}`);
  return snap.lists.map((l: any) => [
    l.title,
    snap.cards.filter((c: any) => c.list_id === l.id).map((c: any) => c.title),
  ]);
}

/**
 * Drags a card with the mouse (pointer events) so that it lands at `index` in the target list
 * (0 = first; the list's other cards are counted without the dragged one).
 */
export async function dragCard(page: Page, cardTitle: string, toList: string, index: number) {
  const source = card(page, cardTitle);
  const from = await source.boundingBox();
  if (!from) throw new Error(`card ${cardTitle} is not visible`);
  const others = list(page, toList).getByTestId('card').filter({ hasNot: page.locator(`text="${cardTitle}"`) });
  const n = await others.count();
  let x: number;
  let y: number;
  if (index < n) {
    const b = (await others.nth(index).boundingBox())!;
    x = b.x + b.width / 2;
    y = b.y + Math.min(6, b.height / 4);
  } else {
    const col = (await list(page, toList).locator('.card-list').boundingBox())!;
    x = col.x + col.width / 2;
    y = col.y + col.height - 4;
  }
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await page.mouse.down();
  await page.mouse.move(from.x + from.width / 2 + 10, from.y + from.height / 2 + 10, { steps: 3 });
  await page.mouse.move(x, y, { steps: 12 });
  await expect(list(page, toList).getByTestId('drop-indicator')).toBeVisible();
  await page.mouse.up();
}

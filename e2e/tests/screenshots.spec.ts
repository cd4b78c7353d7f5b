// The README's screenshots: a busy board (labels named and plain, members, due dates in all four states,
// checklists part done and done, comments, descriptions) in both themes, and the card dialog on a phone.
// Skipped unless SCREENSHOTS=1, so test runs never rewrite docs/screenshots/.
import { expect, test } from '@playwright/test';
import path from 'node:path';
import { api, card, invite, openBoard, seedBoard, signUp } from './helpers';

const out = path.resolve(__dirname, '../../docs/screenshots');

test.skip(!process.env.SCREENSHOTS, 'set SCREENSHOTS=1 to write docs/screenshots/');

test('the busy board, light and dark, and a card on a phone', async ({ browser }) => {
  const ann = await signUp(browser, 'ann', 'Ann Lee');
  const others = [
    await signUp(browser, 'bob', 'Bob Stone'),
    await signUp(browser, 'cy', 'Cy Park'),
    await signUp(browser, 'dee', 'Dee Moreau'),
  ];
  const seeded = await seedBoard(ann, 'Website relaunch', {
    Backlog: ['Migrate the blog archive', 'Cookie banner copy', 'Newsletter sign-up form'],
    'In progress': ['New pricing page', 'Hero illustration', 'Fix broken links in the footer'],
    Review: ['Accessibility audit', 'Launch announcement draft'],
    Done: ['Pick the new fonts', 'Staging server'],
  });
  const req = ann.page.request;
  const ids: Record<string, string> = {};
  for (const o of others) {
    await invite(ann, seeded.boardId, o, 'editor');
    ids[o.name] = (await api(o.page.request, 'GET', '/api/auth/me')).user.id;
  }
  ids['Ann Lee'] = (await api(req, 'GET', '/api/auth/me')).user.id;
  const labels: any[] = (await api(req, 'GET', `/api/boards/${seeded.boardId}`)).labels;
  const label = (color: string) => labels.find((l) => l.color === color).id;
  await api(req, 'PATCH', `/api/labels/${label('green')}`, { name: 'Feature' });
  await api(req, 'PATCH', `/api/labels/${label('red')}`, { name: 'Bug' });
  await api(req, 'PATCH', `/api/labels/${label('purple')}`, { name: 'Design' });

  const hour = 3600_000;
  const at = (ms: number) => new Date(Date.now() + ms).toISOString();
  type Face = { labels?: string[]; members?: string[]; due?: number; done?: boolean; checklist?: [number, number]; comments?: number; description?: string };
  const faces: Record<string, Face> = {
    'Migrate the blog archive': { labels: ['green', 'blue'], due: 6 * 24 * hour, checklist: [1, 4], description: 'Old posts keep their URLs.' },
    'Cookie banner copy': { labels: ['yellow'], comments: 2 },
    'Newsletter sign-up form': { labels: ['green'], members: ['Cy Park'] },
    'New pricing page': { labels: ['green', 'purple'], members: ['Ann Lee', 'Bob Stone', 'Cy Park', 'Dee Moreau'], due: 3 * hour, checklist: [3, 5], comments: 4, description: 'Three plans, yearly toggle.' },
    'Hero illustration': { labels: ['purple', 'orange'], members: ['Dee Moreau'], comments: 1 },
    'Fix broken links in the footer': { labels: ['red'], members: ['Bob Stone'], due: -20 * hour, description: 'Found by the crawler.' },
    'Accessibility audit': { labels: ['blue'], members: ['Cy Park', 'Ann Lee'], checklist: [6, 6], comments: 3 },
    'Launch announcement draft': { labels: ['yellow', 'purple'], due: 2 * 24 * hour, description: 'For the blog and the newsletter.' },
    'Pick the new fonts': { labels: ['purple'], due: -3 * 24 * hour, done: true, checklist: [2, 2] },
    'Staging server': { members: ['Bob Stone'], comments: 1 },
  };
  for (const [title, f] of Object.entries(faces)) {
    const id = seeded.cards[title];
    for (const c of f.labels ?? []) await api(req, 'POST', `/api/cards/${id}/labels`, { label_id: label(c) });
    for (const m of f.members ?? []) await api(req, 'POST', `/api/cards/${id}/members`, { user_id: ids[m] });
    const patch: any = {};
    if (f.due !== undefined) patch.due_at = at(f.due);
    if (f.done) patch.completed = true;
    if (f.description) patch.description = f.description;
    if (Object.keys(patch).length) await api(req, 'PATCH', `/api/cards/${id}`, patch);
    if (f.checklist) {
      const list = await api(req, 'POST', `/api/cards/${id}/checklists`, { title: 'Steps' });
      for (let i = 0; i < f.checklist[1]; i++) {
        const item = await api(req, 'POST', `/api/checklists/${list.id}/items`, { text: `Step ${i + 1}` });
        if (i < f.checklist[0]) await api(req, 'PATCH', `/api/checklist-items/${item.id}`, { done: true });
      }
    }
    for (let i = 0; i < (f.comments ?? 0); i++) {
      await api(req, 'POST', `/api/cards/${id}/comments`, { body: `Note ${i + 1}` });
    }
  }

  const page = ann.page;
  await openBoard(ann, seeded.boardId);
  for (const theme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: theme, reducedMotion: 'reduce' });
    await expect(card(page, 'Pick the new fonts').locator('[data-badge=due]')).toHaveAttribute('data-due-state', 'complete');
    await expect(card(page, 'Accessibility audit').locator('[data-badge=checklist]')).toHaveText('6/6');
    await page.mouse.move(0, 0);
    await page.screenshot({ path: path.join(out, `board-${theme}.png`) });
  }

  // The card dialog on a phone, both themes.
  const phone = await ann.context.browser()!.newContext({
    viewport: { width: 390, height: 844 },
    isMobile: true,
    hasTouch: true,
    storageState: await ann.context.storageState(),
  });
  const tab = await phone.newPage();
  await tab.goto(`/boards/${seeded.boardId}/cards/${seeded.cards['New pricing page']}`);
  await expect(tab.getByRole('dialog', { name: 'Edit card' })).toBeVisible();
  await expect(tab.getByTestId('card-description')).toContainText('Three plans');
  for (const theme of ['light', 'dark'] as const) {
    await tab.emulateMedia({ colorScheme: theme, reducedMotion: 'reduce' });
    await tab.screenshot({ path: path.join(out, `card-phone-${theme}.png`) });
  }
  // And on a desktop.
  await card(page, 'New pricing page').click();
  await expect(page.getByTestId('card-description')).toContainText('Three plans');
  for (const theme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: theme, reducedMotion: 'reduce' });
    await page.screenshot({ path: path.join(out, `card-desktop-${theme}.png`) });
  }
});

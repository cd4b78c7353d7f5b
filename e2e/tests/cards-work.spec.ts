// Cards that carry work, as people meet them: badges that appear live on everyone's board, a card's own
// address, archive and restore, and the card dialog by keyboard alone.
import { expect, test } from '@playwright/test';
import { annAndBobLive, api, card, cardTitles, openBoard, seedBoard, signUp } from './helpers';

test('labels, a member, a due date and a checklist Ann adds show up on Bob’s board within a second', async ({ browser }) => {
  const { ann, bob, seeded } = await annAndBobLive(browser, 'Launch', { 'To do': ['Write copy', 'Other'] });
  const cardId = seeded.cards['Write copy'];
  const labels: any[] = (await api(ann.page.request, 'GET', `/api/boards/${seeded.boardId}`)).labels;
  const red = labels.find((l) => l.color === 'red');
  const green = labels.find((l) => l.color === 'green');
  await api(ann.page.request, 'PATCH', `/api/labels/${red.id}`, { name: 'Bug' });

  const dialog = ann.page.getByRole('dialog', { name: 'Edit card' });
  await card(ann.page, 'Write copy').click();
  await expect(ann.page).toHaveURL(new RegExp(`/boards/${seeded.boardId}/cards/${cardId}$`));
  const onBob = card(bob.page, 'Write copy');

  // Two labels: one named, one a plain colour.
  await dialog.getByRole('button', { name: 'Label: Bug (red)' }).click();
  await expect(dialog.getByRole('button', { name: 'Label: Bug (red)' })).toHaveAttribute('aria-pressed', 'true');
  await expect(onBob.locator('.label-chip[data-color=red]')).toBeVisible({ timeout: 1000 });
  await expect(onBob.locator('.label-chip[data-color=red]')).toHaveText('Bug');
  await expect(onBob.locator('.label-chip[data-color=red]')).toHaveAttribute('aria-label', 'Label: Bug (red)');
  await dialog.getByRole('button', { name: 'Label: green' }).click();
  await expect(onBob.getByRole('img', { name: 'Label: green' })).toBeVisible({ timeout: 1000 });
  expect(green).toBeTruthy();

  // A member.
  await dialog.getByRole('button', { name: /Bob Stone/ }).click();
  await expect(onBob.locator('[data-badge=members]')).toBeVisible({ timeout: 1000 });
  await expect(onBob.locator('[data-badge=members]')).toHaveAttribute('aria-label', 'Members: Bob Stone');

  // A due date two hours from now: due soon.
  const due = new Date(Date.now() + 2 * 3600_000);
  const local = (d: Date) =>
    `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}T${String(
      d.getHours(),
    ).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  await dialog.getByLabel('Due', { exact: true }).fill(local(due));
  await dialog.getByLabel('Due', { exact: true }).blur();
  await expect(onBob.locator('[data-badge=due]')).toBeVisible({ timeout: 1000 });
  await expect(onBob.locator('[data-badge=due]')).toHaveAttribute('data-due-state', 'soon');
  await dialog.getByLabel('Complete').check();
  await expect(onBob.locator('[data-badge=due][data-due-state=complete]')).toBeVisible({ timeout: 1000 });

  // A start after the due date is refused next to the field, and what was typed stays there.
  const late = local(new Date(due.getTime() + 24 * 3600_000));
  await dialog.getByLabel('Start', { exact: true }).fill(late);
  await dialog.getByLabel('Start', { exact: true }).blur();
  await expect(dialog.locator('#card-start_at-error')).toBeVisible();
  await expect(dialog.getByLabel('Start', { exact: true })).toHaveValue(late);

  // A checklist with an item, over the API (the checklist UI is its own section).
  const checklist = await api(ann.page.request, 'POST', `/api/cards/${cardId}/checklists`, { title: 'Steps' });
  const item = await api(ann.page.request, 'POST', `/api/checklists/${checklist.id}/items`, { text: 'Draft' });
  await expect(onBob.locator('[data-badge=checklist]')).toHaveText('0/1', { timeout: 1000 });
  await api(ann.page.request, 'PATCH', `/api/checklist-items/${item.id}`, { done: true });
  await expect(onBob.locator('[data-badge=checklist][data-complete=true]')).toHaveText('1/1', { timeout: 1000 });

  // A comment and a description.
  await api(ann.page.request, 'POST', `/api/cards/${cardId}/comments`, { body: 'Looks good' });
  await expect(onBob.locator('[data-badge=comments]')).toHaveText('1', { timeout: 1000 });
  await api(ann.page.request, 'PATCH', `/api/cards/${cardId}`, { description: 'Two **short** paragraphs' });
  await expect(onBob.locator('[data-badge=description]')).toBeVisible({ timeout: 1000 });
  // The open dialog shows the description rendered by the server.
  await expect(dialog.getByTestId('card-description').locator('strong')).toHaveText('short');

  // A deleted label comes off the card everywhere.
  await api(ann.page.request, 'DELETE', `/api/labels/${red.id}`);
  await expect(onBob.locator('.label-chip[data-color=red]')).toHaveCount(0, { timeout: 1000 });
  await expect(card(bob.page, 'Other').locator('[data-badge]')).toHaveCount(0);
});

test('a card’s address opens its dialog in a fresh tab, Back returns to the board, and a stranger is told', async ({
  browser,
}) => {
  const ann = await signUp(browser, 'ann', 'Ann Lee');
  const seeded = await seedBoard(ann, 'Links', { Notes: ['Plan', 'Other'] });
  const cardId = seeded.cards['Plan'];
  const boardUrl = new RegExp(`/boards/${seeded.boardId}$`);
  const dialog = ann.page.getByRole('dialog', { name: 'Edit card' });

  // From the board: the address follows the dialog, and Back closes it.
  await openBoard(ann, seeded.boardId);
  await card(ann.page, 'Plan').click();
  await expect(ann.page).toHaveURL(new RegExp(`/cards/${cardId}$`));
  await ann.page.goBack();
  await expect(dialog).toHaveCount(0);
  await expect(ann.page).toHaveURL(boardUrl);
  // Closing with Esc goes back to the board's address too, and Forward opens the card again.
  await card(ann.page, 'Other').click();
  await page_escape(ann.page);
  await expect(ann.page).toHaveURL(boardUrl);

  // A fresh tab on the card's address.
  const tab = await ann.context.newPage();
  await tab.goto(`/boards/${seeded.boardId}/cards/${cardId}`);
  const tabDialog = tab.getByRole('dialog', { name: 'Edit card' });
  await expect(tabDialog).toBeVisible();
  await expect(tab.getByTestId('card-title-input')).toHaveValue('Plan');
  await tabDialog.getByRole('button', { name: 'Close' }).first().click();
  await expect(tab).toHaveURL(boardUrl);
  await expect(card(tab, 'Plan')).toBeVisible();
  await tab.goBack();
  await expect(tab.getByTestId('board-title')).toBeVisible();

  // A card id that is nobody's.
  await tab.goto(`/boards/${seeded.boardId}/cards/00000000-0000-4000-8000-000000000000`);
  await expect(tab.getByTestId('card-missing')).toContainText("This card does not exist or you don't have access");
  await tab.getByRole('button', { name: 'Back to the board' }).click();
  await expect(tab).toHaveURL(boardUrl);
});

async function page_escape(page: import('@playwright/test').Page) {
  await expect(page.getByRole('dialog', { name: 'Edit card' })).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog', { name: 'Edit card' })).toHaveCount(0);
}

test('an archived card leaves the board and comes back to its place from Archived items', async ({ browser }) => {
  const { ann, bob, seeded } = await annAndBobLive(browser, 'Archive', { Notes: ['First', 'Middle', 'Last'] });
  const dialog = ann.page.getByRole('dialog', { name: 'Edit card' });
  await card(ann.page, 'Middle').click();
  await dialog.getByRole('button', { name: 'Archive' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(ann.page.getByTestId('toast')).toContainText('Archived “Middle”');
  await expect(cardTitles(ann.page, 'Notes')).toHaveText(['First', 'Last']);
  await expect(cardTitles(bob.page, 'Notes')).toHaveText(['First', 'Last']);

  // Bob has the archive open: it follows live.
  await bob.page.getByTestId('archive-button').click();
  const bobPanel = bob.page.getByTestId('archive-panel');
  await expect(bobPanel.getByTestId('archived-card')).toHaveText(/Middle/);

  await ann.page.getByTestId('archive-button').click();
  const panel = ann.page.getByTestId('archive-panel');
  await expect(panel.getByRole('searchbox')).toBeFocused();
  await panel.getByRole('searchbox').fill('nothing like it');
  await expect(panel.getByTestId('archive-empty')).toBeVisible();
  await panel.getByRole('searchbox').fill('midd');
  await panel.getByRole('button', { name: 'Restore Middle' }).click();
  await expect(cardTitles(ann.page, 'Notes')).toHaveText(['First', 'Middle', 'Last']);
  await expect(cardTitles(bob.page, 'Notes')).toHaveText(['First', 'Middle', 'Last']);
  await expect(bobPanel.getByTestId('archived-card')).toHaveCount(0);
  await ann.page.keyboard.press('Escape');
  await expect(panel).toHaveCount(0);
  await expect(ann.page.getByTestId('archive-button')).toBeFocused();
  expect(seeded.cards['Middle']).toBeTruthy();
});

test('an archived list can be deleted for good from Archived items, asked first, Esc cancelling', async ({ browser }) => {
  const ann = await signUp(browser, 'ann', 'Ann Lee');
  const seeded = await seedBoard(ann, 'Cleanup', { Old: ['a', 'b'], Keep: ['c'] });
  await openBoard(ann, seeded.boardId);
  const page = ann.page;
  await page
    .getByTestId('list')
    .filter({ hasText: 'Old' })
    .getByRole('button', { name: 'Archive list' })
    .click();
  await expect(page.getByTestId('toast')).toContainText('Archived the list “Old” with its 2 cards');
  await expect(page.getByTestId('list')).toHaveCount(1);

  await page.getByTestId('archive-button').click();
  const panel = page.getByTestId('archive-panel');
  const row = panel.getByTestId('archived-list');
  await expect(row).toContainText('Old');
  await expect(row).toContainText('list with 2 cards');
  const confirm = page.getByRole('alertdialog');
  await row.getByRole('button', { name: 'Delete permanently' }).click();
  await expect(confirm).toContainText('Delete the list “Old” and its 2 cards for good?');
  await expect(confirm.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(confirm).toHaveCount(0);
  await expect(panel).toBeVisible();
  await row.getByRole('button', { name: 'Delete permanently' }).click();
  await confirm.getByRole('button', { name: 'Delete permanently' }).click();
  await expect(panel.getByTestId('archive-empty')).toBeVisible();
  const archive = await api(page.request, 'GET', `/api/boards/${seeded.boardId}/archive`);
  expect(archive.lists).toEqual([]);
});

test('by keyboard alone: open a card, reach the labels, add one, close, and the badge is there', async ({ browser }) => {
  const ann = await signUp(browser, 'ann', 'Ann Lee');
  const seeded = await seedBoard(ann, 'Keys', { Notes: ['Plan'] });
  await openBoard(ann, seeded.boardId);
  const page = ann.page;
  const dialog = page.getByRole('dialog', { name: 'Edit card' });
  await card(page, 'Plan').focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('card-title-input')).toBeFocused();

  const greenToggle = dialog.getByRole('button', { name: 'Label: green' });
  for (let i = 0; i < 20 && !(await greenToggle.evaluate((el) => el === document.activeElement)); i++) {
    await page.keyboard.press('Tab');
  }
  await expect(greenToggle).toBeFocused();
  await page.keyboard.press('Space');
  await expect(greenToggle).toHaveAttribute('aria-pressed', 'true');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await expect(dialog.getByRole('button', { name: 'Label: yellow' })).toHaveAttribute('aria-pressed', 'true');
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(card(page, 'Plan')).toBeFocused();
  await expect(card(page, 'Plan').getByRole('img', { name: 'Label: green' })).toBeVisible();
  await expect(card(page, 'Plan').getByRole('img', { name: 'Label: yellow' })).toBeVisible();
});

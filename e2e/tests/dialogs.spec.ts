// Dialogs and panels: drafts that survive closing, focus held inside and given back, the app's own
// confirmations, a card deleted under someone's hands, and inviting a member.
import { Locator, Page, expect, test } from '@playwright/test';
import { api, card, list, openBoard, seedBoard, signUp, storedBoard } from './helpers';

/** Presses Tab (or Shift+Tab) `times` times and checks after each press that focus is still inside `within`. */
async function expectTabStaysIn(page: Page, within: Locator, key: 'Tab' | 'Shift+Tab', times: number) {
  for (let i = 0; i < times; i++) {
    await page.keyboard.press(key);
    const inside = await within.evaluate((el) => el.contains(document.activeElement) && el !== document.activeElement);
    expect(inside, `focus after ${key} #${i + 1} is inside`).toBe(true);
  }
}

test('typed text survives Esc and a reload as a draft, restored with a notice until saved or discarded', async ({ browser }) => {
  const ann = await signUp(browser, 'ann', 'Ann Lee');
  const seeded = await seedBoard(ann, 'Drafts', { Notes: ['Plan', 'Other'] });
  await openBoard(ann, seeded.boardId);
  const page = ann.page;
  const dialog = page.getByRole('dialog', { name: 'Edit card' });
  const description = page.getByTestId('card-description-input');
  const notice = page.getByTestId('draft-notice');

  await card(page, 'Plan').click();
  await description.fill('Half a thought');
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(page.getByTestId('toast')).toContainText('kept as a draft');

  await card(page, 'Plan').click();
  await expect(description).toHaveValue('Half a thought');
  await expect(notice).toContainText('Unsaved draft restored');
  await page.keyboard.press('Escape');

  // Kept per card, and across a reload.
  await page.reload();
  await card(page, 'Other').click();
  await expect(description).toHaveValue('');
  await expect(notice).toHaveCount(0);
  await page.keyboard.press('Escape');
  await card(page, 'Plan').click();
  await expect(description).toHaveValue('Half a thought');
  await expect(notice).toBeVisible();

  // Discard puts the card's own text back, for good.
  await notice.getByRole('button', { name: 'Discard' }).click();
  await expect(description).toHaveValue('');
  await expect(notice).toHaveCount(0);
  await expect(page.getByTestId('card-title-input')).toBeFocused();
  await page.keyboard.press('Escape');
  await card(page, 'Plan').click();
  await expect(description).toHaveValue('');
  await expect(notice).toHaveCount(0);

  // Saving ends the draft too.
  await description.fill('Whole thought');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(dialog).toHaveCount(0);
  await card(page, 'Plan').click();
  await expect(description).toHaveValue('Whole thought');
  await expect(notice).toHaveCount(0);
});

test('a draft restored after someone else changed the card still asks which version to keep', async ({ browser }) => {
  const ann = await signUp(browser, 'ann', 'Ann Lee');
  const seeded = await seedBoard(ann, 'Drafts', { Notes: ['Plan'] });
  await openBoard(ann, seeded.boardId);
  const page = ann.page;
  await card(page, 'Plan').click();
  await page.getByTestId('card-description-input').fill('Mine');
  await page.keyboard.press('Escape');

  await api(page.request, 'PATCH', `/api/cards/${seeded.cards['Plan']}`, { description: 'Theirs' });
  await page.reload();
  await card(page, 'Plan').click();
  await expect(page.getByTestId('card-description-input')).toHaveValue('Mine');
  await expect(page.getByRole('dialog', { name: 'Edit card' })).toContainText('Someone else changed this card');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('conflict')).toContainText('Theirs');
  const stored = await api(page.request, 'GET', `/api/boards/${seeded.boardId}`);
  expect(stored.cards[0].description).toBe('Theirs');
});

test('focus stays inside the card dialog and goes back to the card when it closes', async ({ browser }) => {
  const ann = await signUp(browser, 'ann', 'Ann Lee');
  const seeded = await seedBoard(ann, 'Focus', { Notes: ['Plan', 'Other'] });
  await openBoard(ann, seeded.boardId);
  const page = ann.page;
  const dialog = page.getByRole('dialog', { name: 'Edit card' });

  await card(page, 'Plan').click();
  await expect(dialog).toHaveAttribute('aria-modal', 'true');
  await expect(page.getByTestId('card-title-input')).toBeFocused();
  await expectTabStaysIn(page, dialog, 'Tab', 8);
  await expectTabStaysIn(page, dialog, 'Shift+Tab', 8);
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(card(page, 'Plan')).toBeFocused();

  // The same from the keyboard, closed with its Close button.
  await card(page, 'Other').focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('card-title-input')).toBeFocused();
  await dialog.getByRole('button', { name: 'Close' }).last().click();
  await expect(card(page, 'Other')).toBeFocused();
});

test('the members panel takes the focus, holds it, and Esc gives it back to the Members button', async ({ browser }) => {
  const ann = await signUp(browser, 'ann', 'Ann Lee');
  const seeded = await seedBoard(ann, 'Team', { Notes: ['Plan'] });
  await openBoard(ann, seeded.boardId);
  const page = ann.page;
  const panel = page.getByTestId('members-panel');

  await page.getByTestId('members-button').click();
  await expect(page.getByTestId('invite-username')).toBeFocused();
  await expectTabStaysIn(page, panel, 'Tab', 8);
  await expectTabStaysIn(page, panel, 'Shift+Tab', 8);
  await page.keyboard.press('Escape');
  await expect(panel).toHaveCount(0);
  await expect(page.getByTestId('members-button')).toBeFocused();

  // From the keyboard, and closed by a click beside it.
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('invite-username')).toBeFocused();
  await page.mouse.click(200, 400);
  await expect(panel).toHaveCount(0);
});

test('a card deleted while open says so once, cannot be saved, and offers the typed text to copy', async ({ browser }) => {
  const ann = await signUp(browser, 'ann', 'Ann Lee');
  await ann.context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const seeded = await seedBoard(ann, 'Gone', { Notes: ['Plan'] });
  await openBoard(ann, seeded.boardId);
  const page = ann.page;
  await expect(page.getByTestId('connection-status')).toHaveText('Live');
  const dialog = page.getByRole('dialog', { name: 'Edit card' });
  await card(page, 'Plan').click();
  await page.getByTestId('card-description-input').fill('Notes I typed');

  // Someone else archives it (the same account over REST is someone else to this tab).
  await api(page.request, 'POST', `/api/cards/${seeded.cards['Plan']}/archive`);

  await expect(page.getByTestId('card-deleted')).toContainText('deleted by someone else');
  await expect(dialog.getByRole('alert')).toHaveCount(1);
  await expect(dialog).not.toContainText('Someone else changed');
  await expect(page.getByTestId('toast')).toHaveCount(0);
  await expect(dialog.getByRole('button', { name: 'Save' })).toBeDisabled();
  await expect(page.getByTestId('card-deleted-text')).toHaveValue('Plan\n\nNotes I typed');
  await expect(page.getByTestId('card-deleted-text')).toHaveAttribute('readonly', '');

  await dialog.getByRole('button', { name: 'Copy text' }).click();
  await expect(dialog.getByText('Copied.')).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe('Plan\n\nNotes I typed');
  await dialog.getByRole('button', { name: 'Close' }).last().click();
  await expect(dialog).toHaveCount(0);
});

test('archiving a list asks in the app’s own dialog, counts its cards right, and Esc cancels', async ({ browser }) => {
  const ann = await signUp(browser, 'ann', 'Ann Lee');
  const seeded = await seedBoard(ann, 'Cleanup', { Three: ['a', 'b', 'c'], One: ['d'], Empty: [] });
  await openBoard(ann, seeded.boardId);
  const page = ann.page;
  const confirm = page.getByRole('alertdialog');
  const deleteButton = (title: string) => list(page, title).getByRole('button', { name: 'Archive list' });

  await deleteButton('Three').click();
  await expect(confirm).toContainText('Archive the list “Three” and its 3 cards?');
  await expect(confirm).toHaveAttribute('aria-modal', 'true');
  await expect(confirm.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await expectTabStaysIn(page, confirm, 'Tab', 4);
  await expectTabStaysIn(page, confirm, 'Shift+Tab', 4);
  await page.keyboard.press('Escape');
  await expect(confirm).toHaveCount(0);
  await expect(deleteButton('Three')).toBeFocused();
  await expect(card(page, 'c')).toBeVisible();

  await deleteButton('One').click();
  await expect(confirm).toContainText('Archive the list “One” and its 1 card?');
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await expect(confirm).toHaveCount(0);

  await deleteButton('Empty').click();
  await expect(confirm).toContainText('Archive the list “Empty”? It has no cards.');
  await confirm.getByRole('button', { name: 'Archive list' }).click();
  await expect(list(page, 'Empty')).toHaveCount(0);

  await deleteButton('Three').click();
  await confirm.getByRole('button', { name: 'Archive list' }).click();
  await expect(list(page, 'Three')).toHaveCount(0);
  await expect(async () => {
    expect(await storedBoard(page.request, seeded.boardId)).toEqual([['One', ['d']]]);
  }).toPass();
});

test('archiving a card asks in the app’s own dialog on top of the card, and Esc closes only that', async ({ browser }) => {
  const ann = await signUp(browser, 'ann', 'Ann Lee');
  const seeded = await seedBoard(ann, 'Cleanup', { Notes: ['Plan', 'Keep'] });
  await openBoard(ann, seeded.boardId);
  const page = ann.page;
  const dialog = page.getByRole('dialog', { name: 'Edit card' });
  const confirm = page.getByRole('alertdialog');

  await card(page, 'Plan').click();
  await dialog.getByRole('button', { name: 'Archive card' }).click();
  await expect(confirm).toContainText('Archive the card “Plan”?');
  await expect(confirm.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(confirm).toHaveCount(0);
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Archive card' })).toBeFocused();

  await dialog.getByRole('button', { name: 'Archive card' }).click();
  await confirm.getByRole('button', { name: 'Archive card' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(card(page, 'Plan')).toHaveCount(0);
  await expect(async () => {
    expect(await storedBoard(page.request, seeded.boardId)).toEqual([['Notes', ['Keep']]]);
  }).toPass();
});

test('inviting by @name works, an unknown name is said once, and removing someone asks first', async ({ browser }) => {
  const ann = await signUp(browser, 'ann', 'Ann Lee');
  const bob = await signUp(browser, 'bob', 'Bob Stone');
  const seeded = await seedBoard(ann, 'Team', { Notes: ['Plan'] });
  await openBoard(ann, seeded.boardId);
  const page = ann.page;
  const panel = page.getByTestId('members-panel');

  await page.getByTestId('members-button').click();
  await page.getByTestId('invite-username').fill('nosuchperson');
  await panel.getByRole('button', { name: 'Invite', exact: true }).click();
  await expect(panel.getByRole('alert')).toHaveText(
    'No user named “nosuchperson”. Check the spelling, or ask them to sign up first.',
  );

  await page.getByTestId('invite-username').fill(`@${bob.username}`);
  await panel.getByRole('button', { name: 'Invite', exact: true }).click();
  await expect(page.getByTestId('member')).toHaveCount(2);
  await expect(panel.getByRole('alert')).toHaveCount(0);
  await expect(page.getByTestId('member').filter({ hasText: 'Bob Stone' })).toContainText(`@${bob.username}`);

  await page.getByTestId('member').filter({ hasText: 'Bob Stone' }).getByRole('button', { name: 'Remove from board' }).click();
  const confirm = page.getByRole('alertdialog');
  await expect(confirm).toContainText('Remove Bob Stone from this board?');
  await confirm.getByRole('button', { name: 'Remove' }).click();
  await expect(page.getByTestId('member')).toHaveCount(1);
  await expect(panel).toBeVisible();
});

test('the invite field suggests matching people as they are typed, and not those already on the board', async ({ browser }) => {
  const ann = await signUp(browser, 'ann', 'Ann Lee');
  const bob = await signUp(browser, 'bob', 'Bob Stone');
  const seeded = await seedBoard(ann, 'Team', { Notes: ['Plan'] });
  await openBoard(ann, seeded.boardId);
  const page = ann.page;
  const suggestions = page.getByTestId('invite-suggestions').locator('option');

  await page.getByTestId('members-button').click();
  // All but the last letter of Bob's username, as the member list would show it.
  await page.getByTestId('invite-username').fill(`@${bob.username.slice(0, -1)}`);
  await expect(suggestions.filter({ hasText: 'Bob Stone' })).toHaveAttribute('value', bob.username);
  // Ann is on the board already: her own name is never offered.
  await page.getByTestId('invite-username').fill(ann.username);
  await expect(suggestions).toHaveCount(0);
  await expect(page.getByTestId('invite-username')).toHaveAttribute('list', 'invite-suggestions');
});

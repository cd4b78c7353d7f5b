// Being offline is unmistakable: a banner across the board says what happens to one's moves, and the people
// shown as here are greyed out, since a screen without a connection cannot know who still is.
import { expect, test } from '@playwright/test';
import { cardTitles, dragCard, invite, openBoard, seedBoard, signUp, storedBoard } from './helpers';

test('Bob goes offline: a banner says his moves are kept, and Ann no longer looks present until he is back', async ({
  browser,
}) => {
  const ann = await signUp(browser, 'ann', 'Ann Lee');
  const bob = await signUp(browser, 'bob', 'Bob Stone');
  const seeded = await seedBoard(ann, 'Offline', { 'To do': ['A', 'B'], Done: [] });
  await invite(ann, seeded.boardId, bob, 'editor');
  await openBoard(ann, seeded.boardId);
  await openBoard(bob, seeded.boardId);
  await expect(bob.page.getByTestId('connection-status')).toHaveText('Live');
  const annOnBobs = bob.page.getByTestId('presence-avatar').filter({ hasText: 'AL' });
  await expect(annOnBobs).toHaveAttribute('title', 'Ann Lee is viewing');
  const banner = bob.page.getByRole('status').filter({ hasText: 'You are offline' });
  await expect(banner).toHaveCount(0);

  await bob.context.setOffline(true);
  await expect(banner).toBeVisible();
  await expect(banner).toContainText('You are offline. Your moves are kept and sent when you are back');
  await expect(annOnBobs).toHaveAttribute('title', 'Ann Lee: last seen while you were online');
  await expect(bob.page.getByRole('group', { name: 'Who was here while you were online' })).toBeVisible();
  expect(await annOnBobs.evaluate((el) => getComputedStyle(el).filter)).toContain('grayscale');

  // What the banner promises: a move made offline shows at once and reaches the server once he is back.
  await dragCard(bob.page, 'A', 'Done', 0);
  await expect(cardTitles(bob.page, 'Done')).toHaveText(['A']);

  await bob.context.setOffline(false);
  await expect(bob.page.getByTestId('connection-status')).toHaveText('Live', { timeout: 15_000 });
  await expect(banner).toHaveCount(0);
  await expect(annOnBobs).toHaveAttribute('title', 'Ann Lee is viewing');
  expect(await annOnBobs.evaluate((el) => getComputedStyle(el).filter)).toBe('none');
  await expect(cardTitles(ann.page, 'Done')).toHaveText(['A']);
  await expect(async () => {
    expect(await storedBoard(ann.page.request, seeded.boardId)).toEqual([
      ['To do', ['B']],
      ['Done', ['A']],
    ]);
  }).toPass();
});

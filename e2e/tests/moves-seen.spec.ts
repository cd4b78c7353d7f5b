// What a watcher sees when a teammate moves a card: the card itself travelling from where it was.
import { expect, test } from '@playwright/test';
import { api, card, cardTitles, invite, openBoard, seedBoard, signUp } from './helpers';

/**
 * Starts recording, on every animation frame for a few seconds, whether something showing `title` is seen at
 * the point (x, y) — inside its box, not clipped by a scrolling ancestor, and not faded out — and whether the
 * card has reached the list `toList` yet.
 */
async function watchPoint(page: import('@playwright/test').Page, title: string, toList: string, x: number, y: number) {
  await page.evaluate(
    ({ title, toList, x, y }) => {
      const seenAt = (el: Element): boolean => {
        const r = el.getBoundingClientRect();
        if (x < r.left || x > r.right || y < r.top || y > r.bottom) return false;
        for (let a: Element | null = el; a; a = a.parentElement) {
          const style = getComputedStyle(a);
          if (Number(style.opacity) < 0.5 || style.visibility === 'hidden') return false;
          if (a !== el && style.overflow !== 'visible') {
            const b = a.getBoundingClientRect();
            if (x < b.left || x > b.right || y < b.top || y > b.bottom) return false;
          }
        }
        return true;
      };
      const frames: { arrived: boolean; seen: boolean }[] = [];
      (window as any).__frames = frames;
      const start = performance.now();
      const tick = () => {
        const lists = Array.from(document.querySelectorAll('[data-testid=list]'));
        const target = lists.find((l) => l.querySelector('[data-testid=list-title]')?.textContent?.trim() === toList);
        const arrived = Array.from(target?.querySelectorAll('[data-testid=card] .card-title') ?? []).some(
          (t) => t.textContent === title,
        );
        const showing = Array.from(document.querySelectorAll('.card-title'))
          .filter((t) => t.textContent === title)
          .map((t) => t.closest('.card-tile, .card-travelling') ?? t);
        frames.push({ arrived, seen: showing.some(seenAt) });
        if (performance.now() - start < 4000) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    },
    { title, toList, x, y },
  );
}

test("a teammate's move shows the real card leaving its old place, never a blank stub from the list's edge", async ({
  browser,
}) => {
  const ann = await signUp(browser, 'ann', 'Ann');
  const bob = await signUp(browser, 'bob', 'Bob');
  const seeded = await seedBoard(ann, 'Flip', { 'To do': ['Alpha', 'Bravo'], Doing: [], Done: ['Delta'] });
  await invite(ann, seeded.boardId, bob, 'editor');
  await openBoard(bob, seeded.boardId);
  await expect(bob.page.getByTestId('connection-status')).toHaveText('Live');

  const from = (await card(bob.page, 'Alpha').boundingBox())!;
  await watchPoint(bob.page, 'Alpha', 'Done', from.x + from.width / 2, from.y + from.height / 2);
  await api(ann.page.request, 'POST', `/api/cards/${seeded.cards['Alpha']}/move`, {
    list_id: seeded.lists['Done'],
    after_id: null,
  });
  await expect(cardTitles(bob.page, 'Done')).toHaveText(['Alpha', 'Delta']);

  // In the first frames after the card has moved to "Done", it must still be seen where it was.
  await expect
    .poll(async () => bob.page.evaluate(() => ((window as any).__frames as { arrived: boolean }[]).filter((f) => f.arrived).length))
    .toBeGreaterThan(3);
  const frames: { arrived: boolean; seen: boolean }[] = await bob.page.evaluate(() => (window as any).__frames);
  // The first frame may come before the animation starts; within about 100 ms the card must be seen there.
  const firstFrames = frames.filter((f) => f.arrived).slice(0, 6);
  expect(
    firstFrames.some((f) => f.seen),
    'the card is seen at its old place when it starts to travel',
  ).toBe(true);

  // And it lands: the card in "Done" is fully visible and the travelling copy is gone.
  await expect(card(bob.page, 'Alpha')).toHaveCSS('opacity', '1');
  await expect(bob.page.locator('.card-travelling')).toHaveCount(0);
});

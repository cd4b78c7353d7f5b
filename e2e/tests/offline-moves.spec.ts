// Moves made offline are kept and sent when the connection is back, and land where the person meant them even
// when the list changed meanwhile (API.md, "Card moves"): the offline banner's promise.
import { Browser, expect, test } from '@playwright/test';
import { Person, annAndBobLive, card, cardTitles, dragCard, shownBoard, storedBoard } from './helpers';

/** Ann and Bob on a board of "To do" (A, B, C), "Doing" (X) and "Done", both live; then Bob's network goes away. */
async function bobOffline(browser: Browser, title: string) {
  const { ann, bob, seeded } = await annAndBobLive(browser, title, { 'To do': ['A', 'B', 'C'], Doing: ['X'], Done: [] });
  await bob.context.setOffline(true);
  await expect(bob.page.getByTestId('connection-status')).not.toHaveText('Live');
  return { ann, bob, seeded };
}

/** Bob is back, and both of them show what the server stored, with no move of Bob's undone. */
async function bobBackAndAllAgree(ann: Person, bob: Person, boardId: string, expected: [string, string[]][]) {
  await bob.context.setOffline(false);
  await expect(bob.page.getByTestId('connection-status')).toHaveText('Live', { timeout: 15_000 });
  await expect(async () => {
    expect(await storedBoard(ann.page.request, boardId)).toEqual(expected);
  }).toPass({ timeout: 15_000 });
  await expect(async () => {
    expect(await shownBoard(bob.page)).toEqual(expected);
    expect(await shownBoard(ann.page)).toEqual(expected);
  }).toPass({ timeout: 15_000 });
  await expect(bob.page.getByTestId('toast').filter({ hasText: 'Your move was undone' })).toHaveCount(0);
}

test('a card Bob drags to the end of a list while offline stays there after Ann moved that list’s last cards out', async ({
  browser,
}) => {
  const { ann, bob, seeded } = await bobOffline(browser, 'Offline end');

  // Ann moves the last two cards out of "To do".
  await dragCard(ann.page, 'B', 'Done', 0);
  await expect(cardTitles(ann.page, 'Done')).toHaveText(['B']);
  await dragCard(ann.page, 'C', 'Done', 1);
  await expect(cardTitles(ann.page, 'Done')).toHaveText(['B', 'C']);
  await expect(async () => {
    expect(await storedBoard(ann.page.request, seeded.boardId)).toEqual(await shownBoard(ann.page));
  }).toPass({ timeout: 15_000 });

  // Bob, still seeing A, B, C, drops X below C: at the end of "To do".
  await expect(cardTitles(bob.page, 'To do')).toHaveText(['A', 'B', 'C']);
  await dragCard(bob.page, 'X', 'To do', 3);
  await expect(cardTitles(bob.page, 'To do')).toHaveText(['A', 'B', 'C', 'X']);

  await bobBackAndAllAgree(ann, bob, seeded.boardId, [
    ['To do', ['A', 'X']],
    ['Doing', []],
    ['Done', ['B', 'C']],
  ]);
  await bob.page.screenshot({ path: test.info().outputPath('bob-after-reconnect.png') });
});

test('a card dropped offline between two cards lands above the lower one when the upper one was moved away', async ({
  browser,
}) => {
  const { ann, bob, seeded } = await bobOffline(browser, 'Offline between');

  // Ann moves B, the card right above where Bob is about to drop.
  await dragCard(ann.page, 'B', 'Done', 0);
  await expect(async () => {
    expect(await storedBoard(ann.page.request, seeded.boardId)).toEqual(await shownBoard(ann.page));
  }).toPass({ timeout: 15_000 });

  // Bob drops X between B and C.
  await dragCard(bob.page, 'X', 'To do', 2);
  await expect(cardTitles(bob.page, 'To do')).toHaveText(['A', 'B', 'X', 'C']);

  await bobBackAndAllAgree(ann, bob, seeded.boardId, [
    ['To do', ['A', 'X', 'C']],
    ['Doing', []],
    ['Done', ['B']],
  ]);
});

test('sixty moves made offline go out within the server’s rate when the connection is back, on one socket', async ({
  browser,
}) => {
  const { ann, bob, seeded } = await bobOffline(browser, 'Offline queue');
  // Every socket Bob opens from now on (attempts while offline never hear a frame), and whether it closed.
  const sockets: { greeted: boolean; moves: number; closed: boolean }[] = [];
  bob.page.on('websocket', (ws) => {
    const socket = { greeted: false, moves: 0, closed: false };
    sockets.push(socket);
    ws.on('framereceived', () => (socket.greeted = true));
    ws.on('framesent', (f) => {
      if (String(f.payload).includes('move_card')) socket.moves += 1;
    });
    ws.on('close', () => (socket.closed = true));
  });

  // X goes back and forth between "Doing" and "Done" by keyboard: sixty moves, all waiting for the network.
  for (let n = 0; n < 60; n += 1) {
    await card(bob.page, 'X').focus();
    await bob.page.keyboard.press('m');
    await bob.page.keyboard.press(n % 2 === 0 ? 'ArrowRight' : 'ArrowLeft');
    await bob.page.keyboard.press('Enter');
    await expect(cardTitles(bob.page, n % 2 === 0 ? 'Done' : 'Doing')).toHaveText(['X']);
  }

  // The server allows bursts of 50: all sixty at once would close the socket (1008) and start over. Paced,
  // they take about four seconds, on the one socket.
  await bob.context.setOffline(false);
  const greeted = () => sockets.filter((socket) => socket.greeted);
  await expect.poll(() => greeted()[0]?.moves ?? 0, { timeout: 20_000 }).toBe(60);
  await bobBackAndAllAgree(ann, bob, seeded.boardId, [
    ['To do', ['A', 'B', 'C']],
    ['Doing', ['X']],
    ['Done', []],
  ]);
  await expect(bob.page.getByTestId('connection-status')).toHaveText('Live');
  expect(greeted().length).toBe(1);
  expect(greeted()[0].closed).toBe(false);
  expect(greeted()[0].moves).toBe(60);
});

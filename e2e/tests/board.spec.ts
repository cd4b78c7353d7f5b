// The board in a real browser: two or three browser contexts are two or three people.
import { expect, test } from '@playwright/test';
import {
  annAndBobLive,
  api,
  card,
  cardTitles,
  dragCard,
  invite,
  list,
  openBoard,
  seedBoard,
  shownBoard,
  signUp,
  storedBoard,
} from './helpers';

test('Ann builds a board, invites Bob, and Bob sees her drag within a second, also after reloading', async ({ browser }) => {
  const ann = await signUp(browser, 'ann', 'Ann Lee');
  const bob = await signUp(browser, 'bob', 'Bob Stone');

  // Ann creates the board, three lists and their cards, all through the UI.
  await ann.page.getByLabel('New board title').fill('Launch');
  await ann.page.getByRole('button', { name: 'Create board' }).click();
  await expect(ann.page.getByTestId('board-title')).toHaveText('Launch');
  const layout: Record<string, string[]> = {
    'To do': ['Write copy', 'Record demo'],
    Doing: ['Pricing page'],
    Done: ['Pick date', 'Beta survey'],
  };
  for (const [title, cards] of Object.entries(layout)) {
    await ann.page.getByTestId('add-list').click();
    await ann.page.getByLabel('New list title').fill(title);
    await ann.page.getByLabel('New list title').press('Enter');
    await expect(list(ann.page, title)).toBeVisible();
    await ann.page.getByLabel('New list title').press('Escape');
    await list(ann.page, title).getByTestId('add-card').click();
    for (const c of cards) {
      await list(ann.page, title).getByLabel('New card title').fill(c);
      await list(ann.page, title).getByLabel('New card title').press('Enter');
      await expect(card(ann.page, c)).toBeVisible();
    }
    await list(ann.page, title).getByLabel('New card title').press('Escape');
  }

  // Ann invites Bob from the members panel.
  await ann.page.getByTestId('members-button').click();
  await ann.page.getByTestId('invite-username').fill(bob.username);
  await ann.page.getByRole('button', { name: 'Invite' }).click();
  await expect(ann.page.getByTestId('member')).toHaveCount(2);
  await ann.page.getByRole('button', { name: 'Close members' }).click();

  // Bob opens it from his board list.
  await bob.page.reload();
  await bob.page.getByRole('link', { name: /Launch/ }).click();
  await expect(cardTitles(bob.page, 'Done')).toHaveText(['Pick date', 'Beta survey']);
  await expect(ann.page.getByTestId('connection-status')).toHaveText('Live');
  await expect(bob.page.getByTestId('connection-status')).toHaveText('Live');

  // Ann drags "Write copy" into the middle of "Done".
  await dragCard(ann.page, 'Write copy', 'Done', 1);
  await expect(cardTitles(ann.page, 'Done')).toHaveText(['Pick date', 'Write copy', 'Beta survey']);
  await expect(cardTitles(bob.page, 'Done')).toHaveText(['Pick date', 'Write copy', 'Beta survey'], { timeout: 1000 });
  await expect(cardTitles(bob.page, 'To do')).toHaveText(['Record demo']);

  await Promise.all([ann.page.reload(), bob.page.reload()]);
  for (const p of [ann.page, bob.page]) {
    await expect(cardTitles(p, 'Done')).toHaveText(['Pick date', 'Write copy', 'Beta survey']);
  }
});

test('Bob goes offline, misses three moves, and catches up without reloading', async ({ browser }) => {
  const { ann, bob, seeded } = await annAndBobLive(browser, 'Offline', { 'To do': ['A', 'B', 'C'], Doing: [], Done: ['D'] });

  await bob.context.setOffline(true);
  await expect(bob.page.getByTestId('connection-status')).not.toHaveText('Live');

  // Three moves by Ann, in her UI.
  await dragCard(ann.page, 'A', 'Done', 0);
  await expect(cardTitles(ann.page, 'Done')).toHaveText(['A', 'D']);
  await dragCard(ann.page, 'B', 'Doing', 0);
  await expect(cardTitles(ann.page, 'Doing')).toHaveText(['B']);
  await dragCard(ann.page, 'C', 'Done', 2);
  await expect(cardTitles(ann.page, 'Done')).toHaveText(['A', 'D', 'C']);
  await expect(async () => {
    expect(await storedBoard(ann.page.request, seeded.boardId)).toEqual(await shownBoard(ann.page));
  }).toPass();

  // Bob still shows the old state, and says he is not live.
  await expect(cardTitles(bob.page, 'To do')).toHaveText(['A', 'B', 'C']);
  await expect(bob.page.getByTestId('connection-status')).not.toHaveText('Live');

  await bob.context.setOffline(false);
  await expect(bob.page.getByTestId('connection-status')).toHaveText('Live', { timeout: 15_000 });
  await expect(cardTitles(bob.page, 'To do')).toHaveCount(0);
  await expect(cardTitles(bob.page, 'Doing')).toHaveText(['B']);
  await expect(cardTitles(bob.page, 'Done')).toHaveText(['A', 'D', 'C']);
});

test('Ann and Bob drag different cards at the same moment and end up identical, and as stored', async ({ browser }) => {
  const ann = await signUp(browser, 'ann', 'Ann Lee');
  const bob = await signUp(browser, 'bob', 'Bob Stone');
  const seeded = await seedBoard(ann, 'Race', { Left: ['L1', 'L2', 'L3'], Right: ['R1', 'R2', 'R3'] });
  await invite(ann, seeded.boardId, bob, 'editor');
  await openBoard(ann, seeded.boardId);
  await openBoard(bob, seeded.boardId);
  await expect(ann.page.getByTestId('connection-status')).toHaveText('Live');
  await expect(bob.page.getByTestId('connection-status')).toHaveText('Live');

  // Both aim for the same spot: second place in the other list.
  await Promise.all([dragCard(ann.page, 'L1', 'Right', 1), dragCard(bob.page, 'R3', 'Left', 1)]);

  await expect(async () => {
    const stored = await storedBoard(ann.page.request, seeded.boardId);
    expect(await shownBoard(ann.page)).toEqual(stored);
    expect(await shownBoard(bob.page)).toEqual(stored);
  }).toPass({ timeout: 5_000 });
  const final = await storedBoard(ann.page.request, seeded.boardId);
  expect(final.flatMap(([, cards]) => cards).sort()).toEqual(['L1', 'L2', 'L3', 'R1', 'R2', 'R3']);
});

test('a viewer cannot drag: the card stays, nothing is sent, and the page says why', async ({ browser }) => {
  const ann = await signUp(browser, 'ann', 'Ann Lee');
  const vic = await signUp(browser, 'vic', 'Vic Viewer');
  const seeded = await seedBoard(ann, 'Read only', { 'To do': ['Look but do not touch'], Done: ['Finished'] });
  await invite(ann, seeded.boardId, vic, 'viewer');

  const sent: string[] = [];
  vic.page.on('websocket', (ws) => ws.on('framesent', (f) => sent.push(String(f.payload))));
  const moveRequests: string[] = [];
  vic.page.on('request', (r) => {
    if (r.method() !== 'GET') moveRequests.push(`${r.method()} ${r.url()}`);
  });
  await openBoard(vic, seeded.boardId);
  await expect(vic.page.getByTestId('view-only')).toBeVisible();
  await expect(vic.page.getByTestId('view-only')).toHaveAttribute('title', /viewer/);
  await expect(vic.page.getByTestId('add-card')).toHaveCount(0);

  const from = (await card(vic.page, 'Look but do not touch').boundingBox())!;
  const to = (await list(vic.page, 'Done').boundingBox())!;
  await vic.page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await vic.page.mouse.down();
  await vic.page.mouse.move(to.x + to.width / 2, to.y + 60, { steps: 10 });
  await vic.page.mouse.up();

  await expect(vic.page.getByTestId('toast')).toContainText('View only');
  await expect(cardTitles(vic.page, 'To do')).toHaveText(['Look but do not touch']);
  await expect(vic.page.getByTestId('drop-indicator')).toHaveCount(0);

  // The keyboard path refuses too.
  await card(vic.page, 'Look but do not touch').focus();
  await vic.page.keyboard.press('m');
  await vic.page.keyboard.press('ArrowRight');
  await vic.page.keyboard.press('Enter');
  await expect(vic.page.getByTestId('announcer')).toContainText('View only');
  await vic.page.keyboard.press('Escape');
  await expect(cardTitles(vic.page, 'To do')).toHaveText(['Look but do not touch']);

  expect(sent.filter((f) => f.includes('move_card'))).toEqual([]);
  expect(moveRequests).toEqual([]);
  expect(await storedBoard(ann.page.request, seeded.boardId)).toEqual([
    ['To do', ['Look but do not touch']],
    ['Done', ['Finished']],
  ]);
});

test('a card titled like HTML shows as text and runs nothing', async ({ browser }) => {
  const ann = await signUp(browser, 'ann', 'Ann Lee');
  const seeded = await seedBoard(ann, 'XSS', { 'To do': [] });
  await openBoard(ann, seeded.boardId);
  const evil = '<img src=x onerror=alert(1)>';
  await list(ann.page, 'To do').getByTestId('add-card').click();
  await list(ann.page, 'To do').getByLabel('New card title').fill(evil);
  await list(ann.page, 'To do').getByLabel('New card title').press('Enter');

  // signUp() fails the test on any dialog; here we also check the DOM has no <img> and shows the characters.
  await expect(cardTitles(ann.page, 'To do')).toHaveText([evil]);
  await expect(ann.page.locator('[data-testid=card] img')).toHaveCount(0);
  await ann.page.reload();
  await expect(cardTitles(ann.page, 'To do')).toHaveText([evil]);
  await card(ann.page, evil).click();
  await expect(ann.page.getByTestId('card-title-input')).toHaveValue(evil);
  await expect(ann.page.locator('img')).toHaveCount(0);
});

test('keyboard only: a card moves to another list without the mouse', async ({ browser }) => {
  const ann = await signUp(browser, 'ann', 'Ann Lee');
  const seeded = await seedBoard(ann, 'Keys', { 'To do': ['First', 'Second'], Doing: ['Busy'], Done: ['Old'] });
  await openBoard(ann, seeded.boardId);

  // Tab from the top of the page until the card has the focus.
  const target = card(ann.page, 'Second');
  for (let i = 0; i < 40; i++) {
    await ann.page.keyboard.press('Tab');
    if (await target.evaluate((el) => el === document.activeElement)) break;
  }
  await expect(target).toBeFocused();
  await ann.page.keyboard.press('m');
  await expect(ann.page.getByTestId('announcer')).toContainText('Picked up');
  await ann.page.keyboard.press('ArrowRight');
  await ann.page.keyboard.press('ArrowRight');
  await ann.page.keyboard.press('ArrowDown');
  await ann.page.keyboard.press('Enter');
  await expect(ann.page.getByTestId('announcer')).toContainText('Done');

  await expect(cardTitles(ann.page, 'Done')).toHaveText(['Old', 'Second']);
  await expect(cardTitles(ann.page, 'To do')).toHaveText(['First']);
  await expect(card(ann.page, 'Second')).toBeFocused();
  await expect(async () => {
    expect(await storedBoard(ann.page.request, seeded.boardId)).toEqual([
      ['To do', ['First']],
      ['Doing', ['Busy']],
      ['Done', ['Old', 'Second']],
    ]);
  }).toPass();
});

test('an edit conflict is explained and the newer text shown, never silently overwritten', async ({ browser }) => {
  const ann = await signUp(browser, 'ann', 'Ann Lee');
  const seeded = await seedBoard(ann, 'Conflicts', { Notes: ['Plan'] });
  await openBoard(ann, seeded.boardId);
  await card(ann.page, 'Plan').click();
  await ann.page.getByTestId('card-description-input').fill('Mine');

  // Meanwhile someone else saves a change (same account over REST is enough to bump the version).
  await api(ann.page.request, 'PATCH', `/api/cards/${seeded.cards['Plan']}`, { description: 'Theirs' });

  await ann.page.getByRole('button', { name: 'Save' }).click();
  await expect(ann.page.getByTestId('conflict')).toContainText('changed by someone else');
  await expect(ann.page.getByTestId('conflict')).toContainText('Theirs');
  await expect(ann.page.getByTestId('card-description-input')).toHaveValue('Mine');
  const stored = await api(ann.page.request, 'GET', `/api/boards/${seeded.boardId}`);
  expect(stored.cards[0].description).toBe('Theirs');
});

test('someone removed from a board, or whose board is deleted, is told and taken out of it', async ({ browser }) => {
  const ann = await signUp(browser, 'ann', 'Ann Lee');
  const bob = await signUp(browser, 'bob', 'Bob Stone');
  const first = await seedBoard(ann, 'Removal', { Only: ['One'] });
  const second = await seedBoard(ann, 'Deletion', { Only: ['Two'] });
  await invite(ann, first.boardId, bob, 'editor');
  await invite(ann, second.boardId, bob, 'editor');

  await openBoard(bob, first.boardId);
  await expect(bob.page.getByTestId('connection-status')).toHaveText('Live');
  const members = await api(ann.page.request, 'GET', `/api/boards/${first.boardId}/members`);
  const bobId = members.members.find((m: any) => m.user.username === bob.username).user.id;
  await api(ann.page.request, 'DELETE', `/api/boards/${first.boardId}/members/${bobId}`);
  await expect(bob.page.getByTestId('board-gone')).toContainText('removed from this board');

  await openBoard(bob, second.boardId);
  await expect(bob.page.getByTestId('connection-status')).toHaveText('Live');
  await api(ann.page.request, 'DELETE', `/api/boards/${second.boardId}`);
  await expect(bob.page.getByTestId('board-gone')).toContainText('deleted');
});

test('signing out in another tab ends the session on the open board too', async ({ browser }) => {
  const ann = await signUp(browser, 'ann', 'Ann Lee');
  const seeded = await seedBoard(ann, 'Session', { Only: ['One'] });
  await openBoard(ann, seeded.boardId);
  await expect(ann.page.getByTestId('connection-status')).toHaveText('Live');

  const other = await ann.context.newPage();
  await other.goto('/');
  await other.getByRole('button', { name: 'Sign out' }).click();
  await expect(other.getByRole('heading', { name: 'Sign in' })).toBeVisible();

  await expect(ann.page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await expect(ann.page.getByTestId('toast')).toContainText('session has ended');
});

test('where WebSockets are blocked, live updates fall back to SSE and moves to REST', async ({ browser }) => {
  const ann = await signUp(browser, 'ann', 'Ann Lee');
  const bob = await signUp(browser, 'bob', 'Bob Stone');
  const seeded = await seedBoard(ann, 'Fallback', { 'To do': ['A', 'B'], Done: [] });
  await invite(ann, seeded.boardId, bob, 'editor');
  // A proxy that refuses WebSocket upgrades, for Bob only.
  await bob.context.routeWebSocket(/\/ws/, (ws) => ws.close({ code: 1011, reason: 'blocked' }));

  await openBoard(ann, seeded.boardId);
  await openBoard(bob, seeded.boardId);
  await expect(bob.page.getByTestId('toast')).toContainText('fallback connection', { timeout: 15_000 });
  await expect(bob.page.getByTestId('connection-status')).toHaveText('Live', { timeout: 15_000 });

  await dragCard(ann.page, 'A', 'Done', 0);
  await expect(cardTitles(bob.page, 'Done')).toHaveText(['A']);

  const moved = bob.page.waitForRequest((r) => r.method() === 'POST' && /\/api\/cards\/.+\/move$/.test(r.url()));
  await dragCard(bob.page, 'B', 'Done', 1);
  await moved;
  await expect(cardTitles(ann.page, 'Done')).toHaveText(['A', 'B']);
  await expect(cardTitles(bob.page, 'Done')).toHaveText(['A', 'B']);
});

test('a move the server refuses is rolled back, with a message saying so', async ({ browser }) => {
  const ann = await signUp(browser, 'ann', 'Ann Lee');
  const seeded = await seedBoard(ann, 'Rollback', { 'To do': ['Stay', 'Other'], Done: ['Old'] });
  // Stand in for the server's answer to one move: an `error` frame for it (as for a stale position).
  await ann.context.routeWebSocket(/\/ws/, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((message) => {
      const frame = JSON.parse(String(message));
      if (frame.type === 'move_card') {
        ws.send(
          JSON.stringify({
            type: 'error',
            client_op_id: frame.client_op_id,
            code: 'stale_position',
            message: 'That place on the board changed meanwhile.',
          }),
        );
      } else {
        server.send(message);
      }
    });
  });
  await openBoard(ann, seeded.boardId);
  await expect(ann.page.getByTestId('connection-status')).toHaveText('Live');

  await dragCard(ann.page, 'Stay', 'Done', 1);
  await expect(ann.page.getByTestId('toast')).toContainText('Your move was undone: That place on the board changed meanwhile.');
  await expect(cardTitles(ann.page, 'To do')).toHaveText(['Stay', 'Other']);
  await expect(cardTitles(ann.page, 'Done')).toHaveText(['Old']);
});

test('a move that meets a brief database outage is sent again with its id, not undone', async ({ browser }) => {
  const ann = await signUp(browser, 'ann', 'Ann Lee');
  const seeded = await seedBoard(ann, 'Outage', { 'To do': ['Stay', 'Other'], Done: ['Old'] });
  // The first copy of the move gets "not now" (as while Postgres restarts); later copies reach the server.
  const sent: string[] = [];
  await ann.context.routeWebSocket(/\/ws/, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((message) => {
      const frame = JSON.parse(String(message));
      if (frame.type === 'move_card') {
        sent.push(frame.client_op_id);
        if (sent.length === 1) {
          ws.send(
            JSON.stringify({
              type: 'error',
              client_op_id: frame.client_op_id,
              code: 'service_unavailable',
              message: 'The database is unavailable right now; try again shortly.',
            }),
          );
          return;
        }
      }
      server.send(message);
    });
  });
  await openBoard(ann, seeded.boardId);
  await expect(ann.page.getByTestId('connection-status')).toHaveText('Live');

  await dragCard(ann.page, 'Stay', 'Done', 1);
  await expect.poll(() => sent.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
  expect(new Set(sent).size).toBe(1);
  await expect(cardTitles(ann.page, 'Done')).toHaveText(['Old', 'Stay']);
  await expect(ann.page.getByTestId('toast')).toHaveCount(0);
  expect(await storedBoard(ann.page.request, seeded.boardId)).toContainEqual(['Done', ['Old', 'Stay']]);
});

test('lists are reordered by dragging their header, and everyone watching sees who is here', async ({ browser }) => {
  const ann = await signUp(browser, 'ann', 'Ann Lee');
  const bob = await signUp(browser, 'bob', 'Bob Stone');
  const seeded = await seedBoard(ann, 'Columns', { First: ['1'], Second: ['2'], Third: ['3'] });
  await invite(ann, seeded.boardId, bob, 'editor');
  await openBoard(ann, seeded.boardId);
  await openBoard(bob, seeded.boardId);
  await expect(ann.page.getByTestId('presence-avatar')).toHaveCount(2);
  await expect(ann.page.getByTestId('presence-avatar').filter({ hasText: 'BS' })).toHaveAttribute('title', /Bob Stone/);

  // Drag "Third" by its header to the front.
  const header = (await list(ann.page, 'Third').locator('.list-header').boundingBox())!;
  const first = (await list(ann.page, 'First').boundingBox())!;
  await ann.page.mouse.move(header.x + header.width - 60, header.y + header.height / 2);
  await ann.page.mouse.down();
  await ann.page.mouse.move(header.x + header.width - 80, header.y + header.height / 2, { steps: 3 });
  await ann.page.mouse.move(first.x + 20, header.y + header.height / 2, { steps: 15 });
  await expect(ann.page.locator('.list-drop-indicator')).toBeVisible();
  await ann.page.mouse.up();

  const order = ['Third', 'First', 'Second'];
  await expect(ann.page.getByTestId('list-title')).toHaveText(order);
  await expect(bob.page.getByTestId('list-title')).toHaveText(order);
  await expect(async () => {
    expect((await storedBoard(ann.page.request, seeded.boardId)).map(([t]) => t)).toEqual(order);
  }).toPass();

  await bob.page.close();
  await expect(ann.page.getByTestId('presence-avatar')).toHaveCount(1);
});

test('on a touch screen a long press picks a card up and a drag moves it', async ({ browser }) => {
  const ann = await signUp(browser, 'ann', 'Ann Lee');
  const seeded = await seedBoard(ann, 'Touch', { 'To do': ['Alpha', 'Beta', 'Gamma'] });
  const phone = await browser.newContext({
    viewport: { width: 390, height: 760 },
    hasTouch: true,
    isMobile: true,
    storageState: await ann.context.storageState(),
  });
  const page = await phone.newPage();
  await page.goto(`/boards/${seeded.boardId}`);
  await expect(page.getByTestId('connection-status')).toHaveText('Live');

  // Real touch input (pointerType "touch"), through the DevTools protocol.
  const cdp = await phone.newCDPSession(page);
  const from = (await card(page, 'Alpha').boundingBox())!;
  const to = (await card(page, 'Gamma').boundingBox())!;
  const at = (x: number, y: number) => ({ touchPoints: [{ x, y }] });
  const x = from.x + from.width / 2;
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', ...at(x, from.y + 8) });
  // The long press lifts the card: its ghost appears without the finger moving.
  await expect(page.locator('.drag-ghost.is-shown')).toHaveText('Alpha');
  const targetY = to.y + to.height - 4;
  for (let i = 1; i <= 10; i++) {
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', ...at(x, from.y + 8 + ((targetY - from.y - 8) * i) / 10) });
  }
  await expect(page.getByTestId('drop-indicator')).toBeVisible();
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });

  await expect(cardTitles(page, 'To do')).toHaveText(['Beta', 'Gamma', 'Alpha']);
  await expect(async () => {
    expect(await storedBoard(ann.page.request, seeded.boardId)).toEqual([['To do', ['Beta', 'Gamma', 'Alpha']]]);
  }).toPass();
});

test('a board of 1,000 cards opens in a few seconds and a drag on it still reaches the other person within a second', async ({ browser }) => {
  test.setTimeout(120_000);
  const ann = await signUp(browser, 'ann', 'Ann Lee');
  const bob = await signUp(browser, 'bob', 'Bob Stone');
  const req = ann.page.request;
  const board = await api(req, 'POST', '/api/boards', { title: 'Big' });
  const lists: string[] = [];
  for (const title of ['Backlog', 'Next', 'Doing', 'Done']) {
    lists.push((await api(req, 'POST', `/api/boards/${board.id}/lists`, { title })).id);
  }
  // 250 cards a list, 25 requests at a time; the order within a list is whatever the server made of it.
  for (const [i, listId] of lists.entries()) {
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(
        Array.from({ length: 25 }, (_, j) =>
          api(req, 'POST', `/api/lists/${listId}/cards`, { title: `Card ${i}-${batch * 25 + j}` }),
        ),
      );
    }
  }
  await invite(ann, board.id, bob, 'editor');

  for (const p of [ann, bob]) {
    const started = Date.now();
    await p.page.goto(`/boards/${board.id}`);
    await expect(p.page.getByTestId('card')).toHaveCount(1000, { timeout: 10_000 });
    const opened = Date.now() - started;
    console.log(`${p.name}: 1,000 cards shown ${opened} ms after navigation`);
    expect(opened).toBeLessThan(10_000);
    await expect(p.page.getByTestId('connection-status')).toHaveText('Live');
  }

  const moving = await cardTitles(ann.page, 'Backlog').first().textContent();
  const firstInDone = await cardTitles(ann.page, 'Done').first().textContent();
  await dragCard(ann.page, moving!, 'Done', 1);
  await expect(cardTitles(ann.page, 'Done').nth(1)).toHaveText(moving!);
  await expect(cardTitles(bob.page, 'Done').nth(1)).toHaveText(moving!, { timeout: 1000 });
  await expect(cardTitles(bob.page, 'Done').first()).toHaveText(firstInDone!);
  await expect(bob.page.getByTestId('card')).toHaveCount(1000);
});

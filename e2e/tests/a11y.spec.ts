// Accessibility, as people meet it: every screen checked by axe in both themes, a keyboard that gets to the
// cards quickly and sees what to press, and touch that works at the edges of a phone's screen.
import AxeBuilder from '@axe-core/playwright';
import { Browser, Locator, Page, expect, test } from '@playwright/test';
import {
  Person,
  api,
  card,
  cardTitles,
  invite,
  list,
  openBoard,
  seedBoard,
  signUp,
  storedBoard,
} from './helpers';

const THEMES = ['light', 'dark'] as const;
type Theme = (typeof THEMES)[number];

/** The page in one theme (the app follows the system's), without animations: a card fading in is not what
 * a contrast check should measure. */
async function useTheme(page: Page, theme: Theme) {
  await page.emulateMedia({ colorScheme: theme, reducedMotion: 'reduce' });
  expect(await page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches)).toBe(theme === 'dark');
}

async function expectNoSeriousViolations(page: Page, screen: string) {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const serious = violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(serious, `serious or critical axe violations on ${screen}`).toEqual([]);
}

for (const theme of THEMES) {
  test(`every screen has no serious or critical accessibility violations (${theme})`, async ({ browser }) => {
    // Signed out.
    const guest = await (await browser.newContext()).newPage();
    await useTheme(guest, theme);
    await guest.goto('/signin');
    await expect(guest.getByRole('heading', { name: 'Sign in' })).toBeVisible();
    await expectNoSeriousViolations(guest, 'sign-in');
    await guest.goto('/signup');
    await expect(guest.getByRole('heading', { name: 'Create your account' })).toBeVisible();
    await expectNoSeriousViolations(guest, 'sign-up');

    const ann = await signUp(browser, 'ann', 'Ann Lee');
    const vic = await signUp(browser, 'vic', 'Vic Viewer');
    await useTheme(ann.page, theme);
    await useTheme(vic.page, theme);
    const seeded = await seedBoard(ann, 'Launch', {
      'To do': ['Write copy', 'Record demo'],
      Doing: ['Pricing page'],
      Done: [],
    });
    await api(ann.page.request, 'PATCH', `/api/cards/${seeded.cards['Write copy']}`, { description: 'Two paragraphs' });
    await invite(ann, seeded.boardId, vic, 'viewer');

    await ann.page.reload();
    await expect(ann.page.getByRole('link', { name: /Launch/ })).toBeVisible();
    await expectNoSeriousViolations(ann.page, 'my boards');

    await openBoard(ann, seeded.boardId);
    await expect(ann.page.getByTestId('connection-status')).toHaveText('Live');
    await expect(cardTitles(ann.page, 'To do')).toHaveText(['Write copy', 'Record demo']);
    await expectNoSeriousViolations(ann.page, 'a board');

    await card(ann.page, 'Write copy').click();
    await expect(ann.page.getByTestId('card-title-input')).toBeVisible();
    await expectNoSeriousViolations(ann.page, 'the card dialog');
    await ann.page.keyboard.press('Escape');
    await expect(ann.page.getByTestId('card-title-input')).toHaveCount(0);

    await ann.page.getByTestId('members-button').click();
    await expect(ann.page.getByTestId('member')).toHaveCount(2);
    await expectNoSeriousViolations(ann.page, 'the members panel');

    // The same board for someone who may only look ("View only" in the header).
    await openBoard(vic, seeded.boardId);
    await expect(vic.page.getByTestId('view-only')).toBeVisible();
    await expect(vic.page.getByTestId('connection-status')).toHaveText('Live');
    await expectNoSeriousViolations(vic.page, 'a board, as a viewer');
  });
}

/** The text a card shows to keyboard users (its `::after`), or '' when it shows none. */
async function keyHint(target: Locator): Promise<string> {
  const content = await target.evaluate((el) => getComputedStyle(el, '::after').content);
  return /^"([^"]*)"/.exec(content)?.[1] ?? '';
}

/** The focus ring of an element: its style and width, and its contrast with the element's own background and
 * with what surrounds it (WCAG's 1.4.11 asks for 3:1). */
async function focusRing(target: Locator) {
  return target.evaluate((el) => {
    const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
    const luminance = ([r, g, b]: number[]) => {
      const f = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const ratio = (a: number[], b: number[]) => {
      const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
      return (hi + 0.05) / (lo + 0.05);
    };
    const background = (e: Element | null): number[] => {
      for (; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c.length === 3 || c[3] > 0) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    const style = getComputedStyle(el);
    const ring = rgb(style.outlineColor);
    return {
      style: style.outlineStyle,
      width: parseFloat(style.outlineWidth),
      againstCard: ratio(ring, background(el)),
      againstColumn: ratio(ring, background(el.parentElement)),
    };
  });
}

for (const theme of THEMES) {
  test(`a keyboard user skips to the board in one Tab, sees the keys on the focused card, and its ring stands out (${theme})`, async ({
    browser,
  }) => {
    const ann = await signUp(browser, 'ann', 'Ann Lee');
    await useTheme(ann.page, theme);
    const seeded = await seedBoard(ann, 'Keys', { 'To do': ['First', 'Second'], Done: ['Old'] });
    await openBoard(ann, seeded.boardId);
    await expect(card(ann.page, 'First')).toBeVisible();

    // The first Tab stop of the page, out of sight until then.
    const skip = ann.page.getByRole('link', { name: 'Skip to board' });
    await expect(skip).not.toBeInViewport();
    await ann.page.keyboard.press('Tab');
    await expect(skip).toBeFocused();
    await expect(skip).toBeInViewport();
    await ann.page.keyboard.press('Enter');
    const first = card(ann.page, 'First');
    await expect(first).toBeFocused();

    // The focused card says what to press; the others say nothing.
    expect(await keyHint(first)).toBe('Space to pick up, arrows to move');
    expect(await keyHint(card(ann.page, 'Second'))).toBe('');
    const ring = await focusRing(first);
    expect(ring.style).toBe('solid');
    expect(ring.width).toBeGreaterThanOrEqual(2);
    expect(ring.againstCard).toBeGreaterThanOrEqual(3);
    expect(ring.againstColumn).toBeGreaterThanOrEqual(3);

    // Picked up, it says how to drop.
    await ann.page.keyboard.press(' ');
    await expect(ann.page.getByTestId('announcer')).toContainText('Picked up');
    expect(await keyHint(first)).toBe('Arrows to move, Enter to drop, Esc to cancel');
    await ann.page.keyboard.press('ArrowRight');
    await ann.page.keyboard.press('Enter');
    await expect(cardTitles(ann.page, 'Done')).toHaveText(['First', 'Old']);
    await expect(card(ann.page, 'First')).toBeFocused();
    expect(await keyHint(card(ann.page, 'First'))).toBe('Space to pick up, arrows to move');
  });
}

/** The person's phone: a touch screen, signed in as them. */
async function phoneOf(browser: Browser, person: Person) {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    hasTouch: true,
    isMobile: true,
    storageState: await person.context.storageState(),
  });
  return { context, page: await context.newPage() };
}

test('on a phone, a card held at the right edge scrolls the board to the last list, and lands there', async ({ browser }) => {
  const ann = await signUp(browser, 'ann', 'Ann Lee');
  const seeded = await seedBoard(ann, 'Wide', { One: ['Travel'], Two: [], Three: [], Four: [], Five: ['Last'] });
  const { context, page } = await phoneOf(browser, ann);
  await page.goto(`/boards/${seeded.boardId}`);
  await expect(page.getByTestId('connection-status')).toHaveText('Live');
  const canvas = page.getByTestId('board-canvas');
  const leftToScroll = () => canvas.evaluate((c) => c.scrollWidth - c.clientWidth - c.scrollLeft);
  expect(await leftToScroll()).toBeGreaterThan(1000);

  // Real touch input: a long press lifts the card, the finger goes to the right edge and stays there.
  const cdp = await context.newCDPSession(page);
  const from = (await card(page, 'Travel').boundingBox())!;
  const at = (x: number, y: number) => ({ touchPoints: [{ x, y }] });
  const x0 = from.x + from.width / 2;
  const y = from.y + from.height * 0.8;
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', ...at(x0, y) });
  await expect(page.locator('.drag-ghost.is-shown')).toHaveText('Travel');
  for (let i = 1; i <= 8; i++) {
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', ...at(x0 + ((386 - x0) * i) / 8, y) });
  }
  await expect.poll(leftToScroll, { timeout: 10_000 }).toBeLessThan(2);
  await expect(list(page, 'Five').getByTestId('drop-indicator')).toBeVisible();
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });

  await expect(cardTitles(page, 'Five')).toHaveText(['Last', 'Travel']);
  await expect(async () => {
    expect(await storedBoard(ann.page.request, seeded.boardId)).toContainEqual(['Five', ['Last', 'Travel']]);
  }).toPass();
});

test('on a phone the delete-list icon is out of reach of a stray tap, yet the keyboard and screen readers find it', async ({
  browser,
}) => {
  const ann = await signUp(browser, 'ann', 'Ann Lee');
  const seeded = await seedBoard(ann, 'Careful', { Keep: ['Precious'] });
  const { page } = await phoneOf(browser, ann);
  await page.goto(`/boards/${seeded.boardId}`);
  await expect(card(page, 'Precious')).toBeVisible();
  expect(await page.evaluate(() => matchMedia('(hover: none), (pointer: coarse)').matches)).toBe(true);

  // In the accessibility tree, with no area to tap.
  const remove = list(page, 'Keep').getByRole('button', { name: 'Archive list' });
  await expect(remove).toHaveCount(1);
  const hidden = (await remove.boundingBox())!;
  expect(hidden.width * hidden.height).toBeLessThanOrEqual(1);
  const header = (await list(page, 'Keep').locator('.list-header').boundingBox())!;
  const tapped = await page.evaluate(
    ([x, y]) => document.elementFromPoint(x, y)?.closest('button')?.getAttribute('aria-label') ?? null,
    [header.x + header.width - 22, header.y + header.height / 2],
  );
  expect(tapped).not.toBe('Archive list');

  // With the focus in the list's header it is there, the next Tab stop after the title.
  await list(page, 'Keep').getByTestId('list-title').getByRole('button').focus();
  await expect.poll(async () => (await remove.boundingBox())?.width ?? 0).toBeGreaterThanOrEqual(24);
  await page.keyboard.press('Tab');
  await expect(remove).toBeFocused();
  await expect(remove).toBeInViewport();
});

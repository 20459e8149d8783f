/**
 * Redraw batching: any number of invalidations between two frames cost one draw per view, and a
 * burst of messages never draws more than once per frame. A view that has drawn once and is
 * scrolled out of sight is not redrawn until it comes back: live updates then cost only what is
 * on screen.
 */
export interface Drawable {
  draw(): void;
  /** The element whose visibility decides whether redraws can wait. */
  readonly target?: Element;
}

const dirty = new Set<Drawable>();
const deferred = new Map<Element, Set<Drawable>>();
const visible = new WeakMap<Element, boolean>();
const drawnOnce = new WeakSet<Drawable>();
let scheduled = false;

const observer =
  typeof IntersectionObserver === 'function'
    ? new IntersectionObserver(
        (entries) => {
          for (const e of entries) {
            visible.set(e.target, e.isIntersecting);
            const waiting = deferred.get(e.target);
            if (e.isIntersecting && waiting) {
              deferred.delete(e.target);
              for (const d of waiting) requestDraw(d);
            }
          }
        },
        // Draw a little before a view scrolls in, so it never appears stale.
        { rootMargin: '200px' },
      )
    : undefined;
const observed = new WeakSet<Element>();

export function requestDraw(d: Drawable): void {
  const t = d.target;
  if (t && observer && !observed.has(t)) {
    observed.add(t);
    observer.observe(t);
  }
  if (t && drawnOnce.has(d) && visible.get(t) === false) {
    let set = deferred.get(t);
    if (!set) deferred.set(t, (set = new Set()));
    set.add(d);
    return;
  }
  dirty.add(d);
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(flush);
}

function flush(): void {
  scheduled = false;
  const batch = [...dirty];
  dirty.clear();
  // The bench (scripts/bench-webview.mjs) defines this to see where frame time goes.
  const stats = (globalThis as { __ganStudioDrawStats?: Record<string, number> }).__ganStudioDrawStats;
  for (const d of batch) {
    try {
      const t0 = stats ? performance.now() : 0;
      d.draw();
      if (stats) {
        const name = d.constructor.name === 'Object' ? 'overlay' : d.constructor.name;
        stats[name] = (stats[name] ?? 0) + performance.now() - t0;
      }
      drawnOnce.add(d);
    } catch (err) {
      // One broken view must not stop the others from drawing.
      console.error('[gan-studio] draw failed', err);
    }
  }
}

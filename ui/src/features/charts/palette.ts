// The chart colours, read from the page's CSS variables so charts match the light or dark theme.
export interface Palette {
  text: string;
  muted: string;
  border: string;
  panel: string;
  accent: string;
  danger: string;
}

export function readPalette(el: Element): Palette {
  const css = getComputedStyle(el);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return {
    text: v("--text", "#1c2127"),
    muted: v("--muted", "#6b7480"),
    border: v("--border", "#d9dde3"),
    panel: v("--panel", "#ffffff"),
    accent: v("--accent", "#e8590c"),
    danger: v("--danger", "#c92a2a"),
  };
}

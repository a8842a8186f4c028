//! Fitting text to the screen: widths in cells, cuts that end in `…`, and
//! wrapping whose continuation rows start under the text, not at column 0.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

pub const ELLIPSIS: char = '…';

/// Cells `s` takes.
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

fn char_width(c: char) -> usize {
    UnicodeWidthChar::width(c).unwrap_or(0)
}

/// `s` in at most `max` cells; a cut one ends in `…`.
pub fn cut(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = char_width(c);
        if used + w > max - 1 {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push(ELLIPSIS);
    out
}

/// `s` padded with spaces, or cut with `…`, to exactly `cells` cells.
pub fn pad(s: &str, cells: usize) -> String {
    let mut out = cut(s, cells);
    let w = width(&out);
    out.extend(std::iter::repeat_n(' ', cells.saturating_sub(w)));
    out
}

/// Spans cut to `max` cells, the last one ending in `…` when cut.
pub fn cut_spans<'a>(spans: Vec<Span<'a>>, max: usize) -> Vec<Span<'a>> {
    let total: usize = spans.iter().map(|s| width(&s.content)).sum();
    if total <= max {
        return spans;
    }
    let mut out = Vec::new();
    let mut left = max;
    for s in spans {
        let w = width(&s.content);
        if w < left {
            left -= w;
            out.push(s);
            continue;
        }
        // This span reaches the edge. One that ends in a space just there
        // keeps its text, the space becoming the `…`.
        if w == left && s.content.ends_with(' ') {
            let mut t = s.content.trim_end_matches(' ').to_string();
            t.extend(std::iter::repeat_n(' ', w - width(&t) - 1));
            t.push(ELLIPSIS);
            out.push(Span::styled(t, s.style));
            break;
        }
        // Else cut it, the `…` in its style.
        let text = cut(&s.content, left);
        let text = if text.ends_with(ELLIPSIS) {
            text
        } else {
            let mut t: String = cut(&s.content, left.saturating_sub(1))
                .trim_end_matches(ELLIPSIS)
                .to_string();
            t.push(ELLIPSIS);
            t
        };
        out.push(Span::styled(text, s.style));
        break;
    }
    out
}

/// A line cut to `max` cells with `…` (its style kept).
pub fn cut_line(line: Line<'_>, max: usize) -> Line<'_> {
    let style = line.style;
    let alignment = line.alignment;
    let mut l = Line::from(cut_spans(line.spans, max));
    l.style = style;
    l.alignment = alignment;
    l
}

/// `s` without its first `cells` cells (a wide character cut in half goes).
pub fn skip_cells(s: &str, cells: usize) -> &str {
    let mut used = 0;
    for (i, c) in s.char_indices() {
        if used >= cells {
            return &s[i..];
        }
        used += char_width(c);
    }
    ""
}

/// Wrap a line to `width` cells. Continuation rows start with `indent`
/// spaces (kept under the text the line's label introduces); a row breaks
/// at a space when one is in its second half. Every row is at most `width`.
pub fn wrap<'a>(line: Line<'a>, width: usize, indent: usize) -> Vec<Line<'a>> {
    let width = width.max(1);
    let total: usize = line.spans.iter().map(|s| self::width(&s.content)).sum();
    if total <= width {
        return vec![line];
    }
    // A label wider than half the row would leave no room: indent less.
    let indent = if indent * 2 > width {
        width / 4
    } else {
        indent
    };
    let chars: Vec<(char, Style)> = line
        .spans
        .iter()
        .flat_map(|s| {
            let st = line.style.patch(s.style);
            s.content.chars().map(move |c| (c, st))
        })
        .collect();
    let mut rows = Vec::new();
    let mut i = 0;
    let mut first = true;
    while i < chars.len() {
        let room = if first { width } else { width - indent };
        if !first {
            // A continuation does not start with the space it broke at.
            while i < chars.len() && chars[i].0 == ' ' {
                i += 1;
            }
            if i == chars.len() {
                break;
            }
        }
        let mut used = 0;
        let mut j = i;
        while j < chars.len() {
            let w = char_width(chars[j].0);
            if used + w > room {
                break;
            }
            used += w;
            j += 1;
        }
        if j == i {
            // One character wider than the room: take it anyway.
            j = i + 1;
        }
        // Break at a space in the row's second half, else after a `/` (a
        // path or URL), else where the row is full.
        if j < chars.len() && chars[j].0 != ' ' {
            let half = i + (j - i) / 2..j;
            let at = |c: char| half.clone().rev().find(|k| chars[*k].0 == c);
            if let Some(k) = at(' ').or_else(|| at('/')) {
                j = k + 1;
            }
        }
        let mut spans: Vec<Span<'a>> = Vec::new();
        if !first && indent > 0 {
            spans.push(Span::raw(" ".repeat(indent)));
        }
        let mut k = i;
        while k < j {
            let st = chars[k].1;
            let mut text = String::new();
            while k < j && chars[k].1 == st {
                text.push(chars[k].0);
                k += 1;
            }
            spans.push(Span::styled(text, st));
        }
        rows.push(Line::from(spans));
        i = j;
        first = false;
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(l: &Line) -> String {
        l.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn cuts_end_in_an_ellipsis() {
        assert_eq!(cut("StatefulSet", 10), "StatefulS…");
        assert_eq!(cut("short", 10), "short");
        assert_eq!(cut("abc", 0), "");
        assert_eq!(pad("ab", 4), "ab  ");
        assert_eq!(width(&cut("日本語のテキスト", 7)), 7);
        let spans = vec![Span::raw("auth."), Span::raw("service_account")];
        let cut = cut_spans(spans, 12);
        assert_eq!(
            cut.iter().map(|s| s.content.as_ref()).collect::<String>(),
            "auth.servic…"
        );
    }

    #[test]
    fn wrapped_rows_indent_under_the_label() {
        let l = Line::from(vec![
            Span::raw("    fix      "),
            Span::raw(
                "Add \"ledger\" to bound_service_account_names of auth/kubernetes/role/ledger",
            ),
        ]);
        let rows = wrap(l, 40, 13);
        assert!(rows.len() > 1);
        for r in &rows[1..] {
            assert!(text(r).starts_with(&" ".repeat(13)), "{:?}", text(r));
            assert!(!text(r)[13..].starts_with(' '));
        }
        assert!(rows.iter().all(|r| width(&text(r)) <= 40));
        let joined: String = rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                if i == 0 {
                    text(r)
                } else {
                    text(r)[13..].to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
        assert!(joined.contains("bound_service_account_names"), "{joined}");
    }

    #[test]
    fn skipping_cells() {
        assert_eq!(skip_cells("abcdef", 2), "cdef");
        assert_eq!(skip_cells("abc", 5), "");
    }
}

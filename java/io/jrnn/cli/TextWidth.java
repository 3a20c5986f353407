package io.jrnn.cli;

/**
 * How many terminal cells text takes: East Asian wide and fullwidth characters (Hangul, kana, CJK ideographs,
 * fullwidth forms, most emoji) take two, combining marks and format characters none, the rest one. The same
 * idea as POSIX {@code wcwidth}, with the ranges of Unicode's EastAsianWidth.txt that matter for text people type.
 *
 * <p>Thread safety: stateless; safe from any thread.
 */
final class TextWidth {
    private TextWidth() {}

    /** Inclusive code point ranges of width 2 (East Asian Wide and Fullwidth), sorted. */
    private static final int[][] WIDE = {
        {0x1100, 0x115F}, {0x231A, 0x231B}, {0x2329, 0x232A}, {0x2E80, 0x303E}, {0x3041, 0x33FF},
        {0x3400, 0x4DBF}, {0x4E00, 0x9FFF}, {0xA000, 0xA4CF}, {0xA960, 0xA97F}, {0xAC00, 0xD7A3},
        {0xF900, 0xFAFF}, {0xFE10, 0xFE19}, {0xFE30, 0xFE6F}, {0xFF00, 0xFF60}, {0xFFE0, 0xFFE6},
        {0x1F300, 0x1F64F}, {0x1F900, 0x1F9FF}, {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD},
    };

    /** Cells one code point takes: 0, 1 or 2. */
    static int of(int cp) {
        int type = Character.getType(cp);
        if (type == Character.NON_SPACING_MARK || type == Character.ENCLOSING_MARK || type == Character.FORMAT) return 0;
        if (cp >= 0x1160 && cp <= 0x11FF) return 0; // conjoining Hangul vowels and finals join the initial before them
        for (int[] r : WIDE) {
            if (cp < r[0]) break;
            if (cp <= r[1]) return 2;
        }
        return 1;
    }

    /** Cells a string takes. */
    static int of(String s) {
        return s.codePoints().map(TextWidth::of).sum();
    }

    /**
     * The string padded with spaces to exactly {@code width} cells, or cut to fit with {@code ellipsis} at the end
     * when it is wider. A wide character that would straddle the edge is dropped, and the gap padded.
     */
    static String fit(String s, int width, String ellipsis) {
        int w = of(s);
        if (w <= width) return s + " ".repeat(width - w);
        int room = width - of(ellipsis);
        if (room < 0) return " ".repeat(width);
        StringBuilder sb = new StringBuilder();
        int used = 0;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            int cw = of(cp);
            if (used + cw > room) break;
            sb.appendCodePoint(cp);
            used += cw;
            i += Character.charCount(cp);
        }
        return sb.append(ellipsis).append(" ".repeat(room - used)).toString();
    }
}

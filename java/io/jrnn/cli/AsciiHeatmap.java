package io.jrnn.cli;

import java.util.List;

/**
 * An attention alignment drawn with characters for a terminal: one row per output step (the end-token step included),
 * one column per source token, each cell shaded by its weight on a fixed scale from 0 to 1.
 *
 * <pre>
 *      │2 7 · N o v e m b e r · 2 0 2 6
 * ─────┼──────────────────────────────────
 *  2   │                        ████
 *  ...
 * </pre>
 *
 * <p>Columns are two terminal cells wide so that East Asian wide characters (Hangul, CJK) in the header line up
 * with the shading under them. The shading characters of {@link Style#UNICODE} are "ambiguous width" in Unicode
 * terms: a terminal set to treat those as wide will break the grid, and {@link Style#ASCII} is the way out.
 *
 * <p>Thread safety: stateless; safe from any thread.
 */
final class AsciiHeatmap {
    private AsciiHeatmap() {}

    /** Lower bounds of the shading levels 1..4 (level 0 is below the first). */
    static final float[] LEVELS = {0.05f, 0.25f, 0.5f, 0.75f};

    /** The characters a heatmap is drawn with. */
    enum Style {
        /** Block shades and box-drawing lines. */
        UNICODE(" ░▒▓█", '│', '─', '┼', "·"),
        /** Plain ASCII, for terminals and fonts without block characters. */
        ASCII(" .:*#", '|', '-', '+', "_");

        final String shades;
        final char bar, rule, cross;
        /** How a space in the source is shown in the header. */
        final String space;

        Style(String shades, char bar, char rule, char cross, String space) {
            this.shades = shades;
            this.bar = bar;
            this.rule = rule;
            this.cross = cross;
            this.space = space;
        }
    }

    /** Width of one column in terminal cells: one wide character, or one narrow character and a space. */
    static final int CELL = 2;

    /** Row labels (output tokens) wider than this are cut. */
    static final int MAX_LABEL = 12;

    /**
     * Renders {@code weights[steps][srcLen]} with the source tokens as the column header and the output tokens as
     * row labels. Source tokens wider than a column (words) and row labels wider than {@link #MAX_LABEL} are cut
     * to fit, ending in "…" ("~" in ASCII).
     *
     * @return the lines: header, rule, one line per step, then a legend
     */
    static List<String> render(float[][] weights, List<String> sourceTokens, List<String> rowLabels, Style style) {
        if (weights == null || weights.length == 0) throw new IllegalArgumentException("weights must hold at least one step");
        final int cols = weights[0].length;
        if (sourceTokens.size() != cols) {
            throw new IllegalArgumentException("need one source token per column: " + cols + " columns, got "
                    + sourceTokens.size() + " tokens");
        }
        if (rowLabels.size() != weights.length) {
            throw new IllegalArgumentException("need one row label per step: " + weights.length + " steps, got "
                    + rowLabels.size() + " labels");
        }
        int labelWidth = 1;
        for (String l : rowLabels) labelWidth = Math.max(labelWidth, TextWidth.of(printable(l)));
        labelWidth = Math.min(labelWidth, MAX_LABEL);
        final String ellipsis = style == Style.ASCII ? "~" : "…";

        List<String> lines = new java.util.ArrayList<>(weights.length + 3);
        StringBuilder header = new StringBuilder();
        header.append(" ".repeat(labelWidth + 2)).append(style.bar);
        for (String t : sourceTokens) {
            String shown = t.equals(" ") ? style.space : printable(t);
            header.append(TextWidth.fit(shown, CELL, ellipsis));
        }
        lines.add(stripRight(header));
        lines.add(String.valueOf(style.rule).repeat(labelWidth + 2) + style.cross
                + String.valueOf(style.rule).repeat(CELL * cols));

        for (int r = 0; r < weights.length; r++) {
            if (weights[r].length != cols) {
                throw new IllegalArgumentException("weights must be rectangular: row 0 has " + cols + " columns, row "
                        + r + " has " + weights[r].length);
            }
            StringBuilder row = new StringBuilder();
            row.append(' ').append(TextWidth.fit(printable(rowLabels.get(r)), labelWidth, ellipsis)).append(' ')
                    .append(style.bar);
            for (float w : weights[r]) {
                char c = style.shades.charAt(level(w));
                row.append(c).append(c);
            }
            lines.add(stripRight(row));
        }
        lines.add(legend(style));
        return lines;
    }

    /** The shading level 0..4 of one weight; NaN counts as 0. */
    static int level(float w) {
        int l = 0;
        while (l < LEVELS.length && w >= LEVELS[l]) l++;
        return l;
    }

    static String legend(Style style) {
        StringBuilder sb = new StringBuilder("attention weight: ");
        for (int l = 1; l <= LEVELS.length; l++) {
            char c = style.shades.charAt(l);
            sb.append(c).append(c).append(style == Style.ASCII ? " >=" : " ≥").append(String.format("%.2f", LEVELS[l - 1]));
            if (l < LEVELS.length) sb.append("  ");
        }
        return sb.toString();
    }

    /**
     * Control characters would move the cursor: shown as '?'. Other text is kept in either style (the user typed
     * it, so the terminal shows it); only the drawing characters differ.
     */
    private static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        s.codePoints().forEach(cp -> sb.appendCodePoint(Character.isISOControl(cp) ? '?' : cp));
        return sb.toString();
    }

    private static String stripRight(StringBuilder sb) {
        int n = sb.length();
        while (n > 0 && sb.charAt(n - 1) == ' ') n--;
        return sb.substring(0, n);
    }
}

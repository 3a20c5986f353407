package io.jrnn.cli;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.GraphicsEnvironment;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.AxisLocation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.LookupPaintScale;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.data.xy.DefaultXYZDataset;

/**
 * An attention alignment as a labelled PNG heatmap (JFreeChart): source tokens along x, output tokens down y (first
 * step at the top), each cell shaded from white (0) to dark blue (1), with a colour-scale legend and the input and
 * output in the title.
 *
 * <p>Labels need a font with their glyphs (Hangul, CJK, ...). The font is picked at render time: the JDK's logical
 * SansSerif when it can display every label, else the first installed family that can (Noto Sans CJK, Nanum, ...
 * tried first), else the one that lacks the fewest; {@link Result#missingGlyphs()} then says the image shows boxes.
 *
 * <p>Rendering is headless: the {@code java.awt.headless} property is set to true on first use unless the caller set
 * it. Thread safety: stateless; safe from any thread.
 */
final class PngHeatmap {
    private PngHeatmap() {}

    static {
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }

    /** Families tried, in order, when the logical SansSerif font lacks a glyph. */
    static final List<String> PREFERRED_FAMILIES = List.of("Noto Sans CJK KR", "Noto Sans KR", "NanumGothic",
            "Nanum Gothic", "NanumBarunGothic", "UnDotum", "Baekmuk Gulim", "Noto Sans CJK JP", "Noto Sans CJK SC",
            "Source Han Sans KR", "WenQuanYi Zen Hei", "Droid Sans Fallback", "DejaVu Sans", "FreeSans");

    /** Pixels per cell (one source token by one output step). */
    static final int CELL = 34;

    /** What was written. */
    record Result(Path file, int width, int height, String fontFamily, boolean missingGlyphs) {}

    /**
     * Writes {@code weights[steps][srcLen]} as a PNG.
     *
     * @param sourceTokens one label per column (a space is drawn as "␣", or "_" when the font lacks it)
     * @param rowLabels    one label per step
     * @param title        the chart title (input and output)
     * @param subtitle     a smaller line under it, or null
     */
    static Result write(Path file, float[][] weights, List<String> sourceTokens, List<String> rowLabels, String title,
                        String subtitle) throws IOException {
        final int steps = weights.length, cols = steps == 0 ? 0 : weights[0].length;
        if (steps == 0 || cols == 0) throw new IllegalArgumentException("weights must be at least [1][1]");
        if (sourceTokens.size() != cols || rowLabels.size() != steps) {
            throw new IllegalArgumentException("labels must match weights [" + steps + "][" + cols + "]: got "
                    + sourceTokens.size() + " source tokens and " + rowLabels.size() + " row labels");
        }
        StringBuilder allText = new StringBuilder(title).append(subtitle == null ? "" : subtitle);
        for (String t : sourceTokens) allText.append(t);
        for (String t : rowLabels) allText.append(t);
        FontChoice font = pickFont(allText.append("0123456789.attention weight source output").toString());
        // a space in the source is drawn as the open-box symbol when the font has it
        final String space = new Font(font.family(), Font.PLAIN, 12).canDisplay('␣') ? "␣" : "_";
        List<String> xLabels = new ArrayList<>(cols);
        for (String t : sourceTokens) xLabels.add(t.equals(" ") ? space : t);
        final String family = font.family();

        DefaultXYZDataset data = new DefaultXYZDataset();
        double[][] series = new double[3][steps * cols];
        for (int r = 0, k = 0; r < steps; r++) {
            if (weights[r].length != cols) {
                throw new IllegalArgumentException("weights must be rectangular: row 0 has " + cols + " columns, row "
                        + r + " has " + weights[r].length);
            }
            for (int c = 0; c < cols; c++, k++) {
                series[0][k] = c;
                series[1][k] = r;
                series[2][k] = weights[r][c];
            }
        }
        data.addSeries("attention", series);

        Font tick = new Font(family, Font.PLAIN, 16), label = new Font(family, Font.PLAIN, 14);
        SymbolAxis x = new SymbolAxis("source", xLabels.toArray(new String[0]));
        SymbolAxis y = new SymbolAxis("output", rowLabels.toArray(new String[0]));
        for (SymbolAxis a : List.of(x, y)) {
            a.setGridBandsVisible(false);
            a.setTickLabelFont(tick);
            a.setLabelFont(label);
            a.setLabelPaint(Color.DARK_GRAY);
            a.setTickMarksVisible(false);
            a.setAxisLineVisible(false);
        }
        y.setInverted(true); // first output step at the top, like the terminal heatmap
        // words (a word tokenizer) would overlap across columns one cell wide: stand them up
        if (sourceTokens.stream().anyMatch(t -> TextWidth.of(t) > 2)) x.setVerticalTickLabels(true);
        x.setRange(-0.5, cols - 0.5);
        y.setRange(-0.5, steps - 0.5);

        LookupPaintScale scale = blueScale();
        XYBlockRenderer renderer = new XYBlockRenderer();
        renderer.setPaintScale(scale);
        renderer.setBlockWidth(1.0);
        renderer.setBlockHeight(1.0);

        XYPlot plot = new XYPlot(data, x, y, renderer);
        plot.setDomainAxisLocation(AxisLocation.TOP_OR_LEFT); // source text reads along the top, above the cells
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinesVisible(false);
        plot.setRangeGridlinesVisible(false);
        plot.setOutlinePaint(Color.GRAY);
        plot.setOutlineStroke(new BasicStroke(1f));
        plot.setAxisOffset(new RectangleInsets(4, 4, 4, 4));

        JFreeChart chart = new JFreeChart(null, new Font(family, Font.BOLD, 18), plot, false);
        chart.setBackgroundPaint(Color.WHITE);
        chart.setPadding(new RectangleInsets(10, 10, 10, 10));
        TextTitle head = new TextTitle(title, new Font(family, Font.BOLD, 18));
        chart.setTitle(head);
        if (subtitle != null) {
            TextTitle sub = new TextTitle(subtitle, new Font(family, Font.PLAIN, 13));
            sub.setPaint(Color.DARK_GRAY);
            sub.setPadding(new RectangleInsets(2, 0, 8, 0));
            chart.addSubtitle(sub);
        }
        NumberAxis legendAxis = new NumberAxis("attention weight");
        legendAxis.setRange(0, 1);
        legendAxis.setTickUnit(new NumberTickUnit(0.2, new DecimalFormat("0.0")));
        legendAxis.setTickLabelFont(new Font(family, Font.PLAIN, 12));
        legendAxis.setLabelFont(new Font(family, Font.PLAIN, 13));
        PaintScaleLegend legend = new PaintScaleLegend(scale, legendAxis);
        legend.setPosition(RectangleEdge.RIGHT);
        legend.setStripWidth(14);
        legend.setAxisOffset(4);
        legend.setMargin(new RectangleInsets(40, 14, 40, 4));
        legend.setBackgroundPaint(Color.WHITE);
        chart.addSubtitle(legend);

        int titleWidth = (int) (TextWidth.of(title) * 11.0) + 60;
        int width = Math.max(Math.max(520, titleWidth), 110 + 150 + CELL * cols);
        int height = Math.max(360, 190 + CELL * steps);
        try (OutputStream out = Files.newOutputStream(file)) {
            ChartUtils.writeChartAsPNG(out, chart, width, height);
        }
        return new Result(file, width, height, family, font.missingGlyphs());
    }

    /** White to dark blue in 20 steps over [0, 1]. */
    private static LookupPaintScale blueScale() {
        final int n = 20;
        LookupPaintScale s = new LookupPaintScale(0.0, 1.0 + 1e-6, Color.WHITE);
        Color lo = new Color(0xF7, 0xFB, 0xFF), hi = new Color(0x08, 0x30, 0x6B);
        for (int i = 0; i <= n; i++) {
            double t = i / (double) n;
            s.add(t, new Color(mix(lo.getRed(), hi.getRed(), t), mix(lo.getGreen(), hi.getGreen(), t),
                    mix(lo.getBlue(), hi.getBlue(), t)));
        }
        return s;
    }

    private static int mix(int a, int b, double t) {
        return (int) Math.round(a + (b - a) * t);
    }

    /** A font family and whether it lacks some of the glyphs asked for. */
    record FontChoice(String family, boolean missingGlyphs) {}

    /**
     * The font that displays the most distinct characters of {@code text}, trying SansSerif (the JDK's composite
     * font, which on Linux already falls back to installed CJK fonts), the preferred families, then every installed
     * family; the first one that shows everything wins.
     */
    static FontChoice pickFont(String text) {
        int[] cps = text.codePoints().filter(cp -> !Character.isWhitespace(cp)).distinct().toArray();
        int sansMissing = missing(Font.SANS_SERIF, cps);
        if (sansMissing == 0) return new FontChoice(Font.SANS_SERIF, false);
        Set<String> installed = new LinkedHashSet<>(
                Arrays.asList(GraphicsEnvironment.getLocalGraphicsEnvironment().getAvailableFontFamilyNames()));
        List<String> order = new ArrayList<>();
        for (String f : PREFERRED_FAMILIES) if (installed.contains(f)) order.add(f);
        order.addAll(installed);
        String best = Font.SANS_SERIF;
        int fewest = sansMissing;
        for (String f : order) {
            int m = missing(f, cps);
            if (m == 0) return new FontChoice(f, false);
            if (m < fewest) {
                best = f;
                fewest = m;
            }
        }
        return new FontChoice(best, true);
    }

    private static int missing(String family, int[] cps) {
        Font f = new Font(family, Font.PLAIN, 12);
        int n = 0;
        for (int cp : cps) if (!f.canDisplay(cp)) n++;
        return n;
    }
}

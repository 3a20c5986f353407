package io.jrnn.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryLabelPositions;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.labels.StandardCategoryItemLabelGenerator;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.category.DefaultCategoryDataset;

import io.jrnn.bench.Cases.Case;

/**
 * {@code bench/results.png}: grouped bars, one group per case and thread count, the time of each engine relative to
 * ONNX Runtime's (ORT = 1, lower is better) on a log scale; the group label carries ORT's absolute time. When the
 * run measured reduced precision, jrnn BF16 and INT8, ORT's int8 LSTM and PyTorch's int8 layers get bars too (still
 * relative to ORT fp32).
 */
final class Chart {
    private Chart() {}

    private static boolean any(Results r, String what, String suffix) {
        for (Case c : Cases.ALL) {
            for (int t : RunAll.THREADS) {
                if (r.get(what, c.name() + suffix, t) != null) return true;
            }
        }
        return false;
    }

    private static Double relative(Results.Measured m, double ort) {
        double v = Report.ms(m);
        return Double.isNaN(v) ? null : v / ort;
    }

    static void write(Results r, Path png) throws IOException {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        // the reduced-precision bars only when that part ran (PrecisionBench, PyTorch's quantize_dynamic)
        boolean bf16 = any(r, "jrnn", "/BF16"), int8 = any(r, "jrnn", "/INT8"), dq = any(r, "dqlstm", "");
        boolean torchInt8 = r.torch.keySet().stream().anyMatch(k -> k.startsWith("torch-int8:"));
        for (Case c : Cases.ALL) {
            for (int t : RunAll.THREADS) {
                double ort = Report.ms(r.get("ort", c.name(), t));
                if (Double.isNaN(ort)) continue;
                String group = c.name() + " " + t + "T (ORT " + Report.fmtMs(ort) + " ms)";
                double jrnn = Report.ms(r.get("jrnn", c.name(), t));
                Results.Torch p = r.torch("torch", c.name(), t);
                data.addValue(Double.isNaN(jrnn) ? null : jrnn / ort, "jrnn", group);
                data.addValue(1.0, "ONNX Runtime", group);
                data.addValue(p == null ? null : p.medianMs() / ort, "PyTorch", group);
                if (bf16) data.addValue(relative(r.get("jrnn", c.name() + "/BF16", t), ort), "jrnn BF16", group);
                if (int8) data.addValue(relative(r.get("jrnn", c.name() + "/INT8", t), ort), "jrnn INT8", group);
                if (dq) {
                    data.addValue(relative(r.get("dqlstm", c.name(), t), ort), "ORT int8 (DynamicQuantizeLSTM)", group);
                }
                if (torchInt8) {
                    Results.Torch q = r.torch("torch-int8", c.name(), t);
                    data.addValue(q == null ? null : q.medianMs() / ort, "PyTorch int8 (quantize_dynamic)", group);
                }
            }
        }
        JFreeChart chart = ChartFactory.createBarChart("jrnn vs ONNX Runtime Java vs PyTorch: time per forward"
                        + (bf16 || int8 || dq || torchInt8 ? " (fp32, and int8/bf16 weights)" : ""),
                null, "time relative to ONNX Runtime (lower is better)", data, PlotOrientation.VERTICAL, true, false,
                false);
        String sub = Stream.of(r.machine.get("CPU"), "jrnn " + r.machine.getOrDefault("jrnn", "?"),
                        r.machine.get("date"), r.mode.replaceAll(":.*", ""))
                .filter(x -> x != null && !x.isEmpty()).collect(Collectors.joining(" · "));
        chart.addSubtitle(new TextTitle(sub, new Font(Font.SANS_SERIF, Font.PLAIN, 12)));
        chart.setBackgroundPaint(Color.WHITE);
        CategoryPlot plot = chart.getCategoryPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        plot.getDomainAxis().setCategoryLabelPositions(CategoryLabelPositions.UP_45);
        plot.getDomainAxis().setTickLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        // a log scale: "2x faster" and "2x slower" look alike, and PyTorch's outliers do not flatten the rest
        LogAxis axis = new LogAxis("time relative to ONNX Runtime, log scale (lower is better)");
        axis.setBase(2);
        axis.setAutoTickUnitSelection(false);
        axis.setTickUnit(new NumberTickUnit(1)); // one tick per factor of 2
        axis.setNumberFormatOverride(new DecimalFormat("0.##"));
        axis.setSmallestValue(0.05);
        plot.setRangeAxis(axis);
        ValueMarker one = new ValueMarker(1.0, Color.DARK_GRAY, new BasicStroke(1f));
        plot.addRangeMarker(one);

        BarRenderer bars = (BarRenderer) plot.getRenderer();
        bars.setBarPainter(new StandardBarPainter());
        bars.setShadowVisible(false);
        bars.setIncludeBaseInRange(false);
        bars.setBase(0.05);
        bars.setItemMargin(0.05);
        bars.setSeriesPaint(0, new Color(0x1f77b4));
        bars.setSeriesPaint(1, new Color(0xaaaaaa));
        bars.setSeriesPaint(2, new Color(0xee7733));
        // the reduced-precision series, when present, in the order added above
        Color[] extra = {new Color(0x6baed6), new Color(0x08306b), new Color(0x555555), new Color(0xb35806)};
        for (int i = 3; i < data.getRowCount(); i++) {
            String name = (String) data.getRowKey(i);
            bars.setSeriesPaint(i, switch (name) {
                case "jrnn BF16" -> extra[0];
                case "jrnn INT8" -> extra[1];
                case "ORT int8 (DynamicQuantizeLSTM)" -> extra[2];
                default -> extra[3];
            });
        }
        bars.setDefaultItemLabelGenerator(new StandardCategoryItemLabelGenerator("{2}", new DecimalFormat("0.00")));
        bars.setDefaultItemLabelsVisible(true);
        bars.setDefaultItemLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 9));

        ChartUtils.saveChartAsPNG(png.toFile(), chart, 1400, 700);
    }
}

package io.sluice.benchmarks.flood;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import io.sluice.text.Json;

/**
 * A small hand-written SVG chart (lines or dots, linear or log y axis), enough for the report's two pictures
 * without a plotting dependency: browsers and GitHub render SVG directly.
 */
final class SvgChart
{
    private static final int WIDTH = 900;
    private static final int HEIGHT = 420;
    private static final int LEFT = 80;
    private static final int RIGHT = 170;
    private static final int TOP = 40;
    private static final int BOTTOM = 50;
    private static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e"};

    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final boolean logY;
    private final List<Series> series = new ArrayList<>();

    SvgChart(final String title, final String xLabel, final String yLabel, final boolean logY)
    {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
        this.logY = logY;
    }

    SvgChart line(final String name, final List<double[]> points)
    {
        series.add(new Series(name, points, false));
        return this;
    }

    SvgChart dots(final String name, final List<double[]> points)
    {
        series.add(new Series(name, points, true));
        return this;
    }

    String render()
    {
        double minX = Double.MAX_VALUE;
        double maxX = -Double.MAX_VALUE;
        double minY = logY ? Double.MAX_VALUE : 0;
        double maxY = logY ? -Double.MAX_VALUE : 1;
        for (final Series s : series)
        {
            for (final double[] p : s.points)
            {
                minX = Math.min(minX, p[0]);
                maxX = Math.max(maxX, p[0]);
                if (!logY || p[1] > 0)
                {
                    minY = Math.min(minY, p[1]);
                    maxY = Math.max(maxY, p[1]);
                }
            }
        }
        if (minX > maxX)
        {
            minX = 0;
            maxX = 1;
        }
        if (logY)
        {
            minY = minY > maxY ? 0.01 : Math.pow(10, Math.floor(Math.log10(minY)));
            maxY = Math.pow(10, Math.ceil(Math.log10(Math.max(maxY, minY * 10))));
        }
        else
        {
            maxY = niceCeiling(maxY);
        }
        final Axes axes = new Axes(minX, maxX == minX ? minX + 1 : maxX, minY, maxY, logY);
        final StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
            + " viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", WIDTH, HEIGHT, WIDTH, HEIGHT));
        svg.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        svg.append(text(WIDTH / 2.0 - RIGHT / 2.0, 22, title, "middle", 15));
        grid(svg, axes);
        int colour = 0;
        for (final Series s : series)
        {
            final String fill = COLOURS[colour % COLOURS.length];
            if (s.dots)
            {
                for (final double[] p : s.points)
                {
                    if (!logY || p[1] > 0)
                    {
                        svg.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"1.8\" fill=\"%s\""
                            + " fill-opacity=\"0.6\"/>%n", axes.x(p[0]), axes.y(p[1]), fill));
                    }
                }
            }
            else
            {
                svg.append("<polyline fill=\"none\" stroke=\"").append(fill).append("\" stroke-width=\"2\" points=\"");
                for (final double[] p : s.points)
                {
                    svg.append(String.format(Locale.ROOT, "%.1f,%.1f ", axes.x(p[0]), axes.y(p[1])));
                }
                svg.append("\"/>\n");
            }
            final double legendY = TOP + 20 + colour * 20;
            svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%.1f\" width=\"14\" height=\"4\" fill=\"%s\"/>%n",
                WIDTH - RIGHT + 15, legendY - 4, fill));
            svg.append(text(WIDTH - RIGHT + 35, legendY, s.name, "start", 12));
            colour++;
        }
        svg.append("</svg>\n");
        return svg.toString();
    }

    private void grid(final StringBuilder svg, final Axes axes)
    {
        final double plotRight = WIDTH - RIGHT;
        final double plotBottom = HEIGHT - BOTTOM;
        svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\" fill=\"none\""
            + " stroke=\"#888\"/>%n", LEFT, TOP, plotRight - LEFT, plotBottom - TOP));
        final double xStep = niceStep((axes.maxX - axes.minX) / 8);
        for (double x = Math.ceil(axes.minX / xStep) * xStep; x <= axes.maxX; x += xStep)
        {
            svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>%n",
                axes.x(x), TOP, axes.x(x), plotBottom));
            svg.append(text(axes.x(x), plotBottom + 16, label(x), "middle", 11));
        }
        if (logY)
        {
            for (double y = axes.minY; y <= axes.maxY * 1.001; y *= 10)
            {
                yTick(svg, axes, y);
            }
        }
        else
        {
            final double yStep = niceStep(axes.maxY / 6);
            for (double y = 0; y <= axes.maxY * 1.001; y += yStep)
            {
                yTick(svg, axes, y);
            }
        }
        svg.append(text((LEFT + plotRight) / 2, HEIGHT - 12, xLabel, "middle", 12));
        svg.append(String.format(Locale.ROOT, "<text x=\"18\" y=\"%.1f\" text-anchor=\"middle\""
            + " transform=\"rotate(-90 18 %.1f)\">%s</text>%n", (TOP + plotBottom) / 2, (TOP + plotBottom) / 2, escape(yLabel)));
    }

    private static void yTick(final StringBuilder svg, final Axes axes, final double y)
    {
        svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>%n",
            LEFT, axes.y(y), WIDTH - RIGHT, axes.y(y)));
        svg.append(text(LEFT - 6, axes.y(y) + 4, label(y), "end", 11));
    }

    private static String label(final double value)
    {
        if (value != 0 && Math.abs(value) < 1)
        {
            return Double.toString(Math.round(value * 1000) / 1000.0);
        }
        return Json.decimal(Math.round(value * 10) / 10.0);
    }

    static double niceStep(final double rough)
    {
        if (!(rough > 0))
        {
            return 1;
        }
        final double power = Math.pow(10, Math.floor(Math.log10(rough)));
        final double fraction = rough / power;
        final double nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
        return nice * power;
    }

    private static double niceCeiling(final double value)
    {
        final double step = niceStep(value / 6);
        return Math.max(step, Math.ceil(value / step) * step);
    }

    private static String text(final double x, final double y, final String text, final String anchor, final int size)
    {
        return String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\">%s</text>%n",
            x, y, anchor, size, escape(text));
    }

    private static String escape(final String text)
    {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    private record Series(String name, List<double[]> points, boolean dots)
    {
    }

    private record Axes(double minX, double maxX, double minY, double maxY, boolean logY)
    {
        double x(final double value)
        {
            return LEFT + (value - minX) / (maxX - minX) * (WIDTH - RIGHT - LEFT);
        }

        double y(final double value)
        {
            final double fraction = logY
                ? (Math.log10(Math.max(value, minY)) - Math.log10(minY)) / (Math.log10(maxY) - Math.log10(minY))
                : (value - minY) / (maxY - minY);
            return HEIGHT - BOTTOM - fraction * (HEIGHT - BOTTOM - TOP);
        }
    }
}

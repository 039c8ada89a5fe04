#include "engine/io/svg_plot.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace ftcnn {
namespace {

constexpr double kWidth = 720, kHeight = 480, kLeft = 80, kRight = 30, kTop = 50, kBottom = 70;
constexpr const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                   "#9467bd", "#8c564b", "#e377c2"};

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '&')
      out += "&amp;";
    else
      out += c;
  }
  return out;
}

}  // namespace

std::string svg_plot(const PlotSpec& spec, const std::vector<PlotSeries>& series) {
  double x_min = std::numeric_limits<double>::infinity(), x_max = -x_min, y_min = 0, y_max = 0;
  auto tx = [&](double x) { return spec.log_x ? std::log10(std::max(x, 1e-300)) : x; };
  for (const auto& s : series) {
    for (const auto& p : s.points) {
      if (spec.log_x && p.x <= 0) continue;
      x_min = std::min(x_min, tx(p.x));
      x_max = std::max(x_max, tx(p.x));
      y_min = std::min({y_min, p.y_low, p.y});
      y_max = std::max({y_max, p.y_high, p.y});
    }
  }
  if (!std::isfinite(x_min)) x_min = 0, x_max = 1;
  if (x_max - x_min < 1e-12) x_min -= 0.5, x_max += 0.5;
  const double x_pad = 0.05 * (x_max - x_min);  // keep the end points and their error bars off the frame
  x_min -= x_pad;
  x_max += x_pad;
  if (y_max - y_min < 1e-12) y_max = y_min + 1;
  const double pad = 0.05 * (y_max - y_min);
  y_min -= pad;
  y_max += pad;
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  auto px = [&](double x) { return kLeft + (tx(x) - x_min) / (x_max - x_min) * plot_w; };
  auto py = [&](double y) { return kTop + (1 - (y - y_min) / (y_max - y_min)) * plot_h; };

  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"sans-serif\" font-size=\"13\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
      kWidth, kHeight);
  svg += fmt::format("<text x=\"{}\" y=\"28\" text-anchor=\"middle\" font-size=\"16\">{}</text>\n",
                     kWidth / 2, escape(spec.title));
  svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#444\"/>\n",
                     kLeft, kTop, plot_w, plot_h);
  // Y grid: 5 intervals.
  for (int i = 0; i <= 5; ++i) {
    const double y = y_min + (y_max - y_min) * i / 5;
    svg += fmt::format(
        "<line x1=\"{0}\" x2=\"{1}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"#ddd\"/>"
        "<text x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\">{5:.3g}</text>\n",
        kLeft, kLeft + plot_w, py(y), kLeft - 6, py(y) + 4, y);
  }
  // X ticks: decades on a log axis, 5 intervals otherwise.
  if (spec.log_x) {
    for (int e = static_cast<int>(std::ceil(x_min - 1e-9)); e <= static_cast<int>(std::floor(x_max + 1e-9));
         ++e) {
      const double x = std::pow(10.0, e);
      svg += fmt::format(
          "<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\" stroke=\"#ddd\"/>"
          "<text x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\">1e{4}</text>\n",
          px(x), kTop, kTop + plot_h, kTop + plot_h + 18, e);
    }
  } else {
    for (int i = 0; i <= 5; ++i) {
      const double x = x_min + (x_max - x_min) * i / 5;
      svg += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{:.3g}</text>\n", px(x),
                         kTop + plot_h + 18, x);
    }
  }
  svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", kLeft + plot_w / 2,
                     kHeight - 20, escape(spec.x_label));
  svg += fmt::format("<text transform=\"translate(20 {}) rotate(-90)\" text-anchor=\"middle\">{}</text>\n",
                     kTop + plot_h / 2, escape(spec.y_label));
  for (size_t s = 0; s < series.size(); ++s) {
    const char* color = kColors[s % (sizeof kColors / sizeof *kColors)];
    std::string path;
    for (const auto& p : series[s].points) {
      if (spec.log_x && p.x <= 0) continue;
      path += fmt::format("{}{:.1f},{:.1f} ", path.empty() ? "M" : "L", px(p.x), py(p.y));
      svg += fmt::format(
          "<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.1f}\" y2=\"{2:.1f}\" stroke=\"{3}\"/>"
          "<line x1=\"{4:.1f}\" x2=\"{5:.1f}\" y1=\"{1:.1f}\" y2=\"{1:.1f}\" stroke=\"{3}\"/>"
          "<line x1=\"{4:.1f}\" x2=\"{5:.1f}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"{3}\"/>"
          "<circle cx=\"{0:.1f}\" cy=\"{6:.1f}\" r=\"3.5\" fill=\"{3}\"/>\n",
          px(p.x), py(p.y_low), py(p.y_high), color, px(p.x) - 5, px(p.x) + 5, py(p.y));
    }
    svg += fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\"/>\n", path, color);
    svg += fmt::format(
        "<rect x=\"{}\" y=\"{}\" width=\"14\" height=\"3\" fill=\"{}\"/>"
        "<text x=\"{}\" y=\"{}\">{}</text>\n",
        kLeft + 12, kTop + 14 + 18 * s, color, kLeft + 32, kTop + 19 + 18 * s, escape(series[s].label));
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace ftcnn

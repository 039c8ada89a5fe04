// A small SVG line plot with error bars and a log-scale x axis: enough for "metric against BER" figures
// that open in any browser, with no plotting library.
#pragma once

#include <string>
#include <vector>

namespace ftcnn {

struct PlotPoint {
  double x, y, y_low, y_high;
};

struct PlotSeries {
  std::string label;
  std::vector<PlotPoint> points;
};

struct PlotSpec {
  std::string title, x_label, y_label;
  bool log_x = true;
};

std::string svg_plot(const PlotSpec& spec, const std::vector<PlotSeries>& series);

}  // namespace ftcnn

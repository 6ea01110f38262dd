// One self-contained HTML page from report_json()'s blob: inline CSS, the
// blob in a <script type="application/json">, and a small inline script
// that draws the SVG timeline and charts. No network fetches, no external
// libraries: the page opens from a CI artifact or a mail attachment.
//
// The script sets <body data-rendered="ok"> when it finished, or
// data-rendered="error: ..." from window.onerror, so a headless browser
// can tell a page that drew from one that broke (scripts/report-check.sh).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace detsim {

std::string render_report_html(const nlohmann::json& page);

}  // namespace detsim

package demo

import (
	"context"
	"encoding/json"

	"github.com/authwire/authwire/auth"
)

// The demo's sections: each has a page, GET /<section>, and a callback,
// <section>-report, that only callers in the section reach. The built-in
// users' sections: admin auth.AllSections, viewer Marketing.
const (
	Marketing = "marketing"
	HR        = "hr"
)

// section is one section of the demo: its page and its report.
type section struct {
	ID, Label, About string
	Figures          []figure
}

// figure is one number of a section's report.
type figure struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// sections returns the demo's sections, in the order of their tabs.
func sections() []section {
	return []section{
		{ID: Marketing, Label: "Marketing", About: "Campaigns and leads.", Figures: []figure{
			{"Campaigns running", "4"}, {"Leads this week", "128"}, {"Conversion", "3.4 %"},
		}},
		{ID: HR, Label: "HR", About: "Headcount and hiring.", Figures: []figure{
			{"Headcount", "42"}, {"Open positions", "3"}, {"Average tenure", "3.1 years"},
		}},
	}
}

// SectionNames returns the demo's sections, each of which the demos serve
// at GET /<name> behind auth.InSection(name).
func SectionNames() []string {
	var names []string
	for _, s := range sections() {
		names = append(names, s.ID)
	}
	return names
}

// SectionPage renders the page of the section name for id; csrf is the
// logout token. The route must require auth.InSection(name): the page
// itself does not check.
func SectionPage(id *auth.Identity, csrf, name string) []byte {
	return render("section.html", newPage(id, csrf, name))
}

// sectionReport is the callback <section>-report: the section's figures,
// and who asked. The registry's SectionsFromNames puts it in the section.
func sectionReport(s section) func(ctx context.Context, _ json.RawMessage) (any, error) {
	return func(ctx context.Context, _ json.RawMessage) (any, error) {
		return map[string]any{"section": s.ID, "figures": s.Figures, "seen_by": auth.FromContext(ctx).User}, nil
	}
}

package cases

import (
	_ "embed"
	"fmt"

	"go.yaml.in/yaml/v3"

	"onedoor/hallserver/hall"
)

//go:embed catalogue.yaml
var demoCatalogueYAML []byte

// DefaultResolveDays is the resolution limit in working days when neither the category nor the
// catalogue sets one.
const DefaultResolveDays = 5

// DemoCatalogue returns a fresh copy of the dispatch catalogue of the demo campus (embedded
// catalogue.yaml). It panics if the embedded file is broken (a test guards it).
func DemoCatalogue() *hall.Catalogue {
	c, err := ParseCatalogue(demoCatalogueYAML)
	if err != nil {
		panic(err)
	}
	return c
}

// ParseCatalogue reads a catalogue from YAML and validates it.
func ParseCatalogue(data []byte) (*hall.Catalogue, error) {
	var c hall.Catalogue
	if err := yaml.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("cases: catalogue: %w", err)
	}
	if err := ValidateCatalogue(&c, nil); err != nil {
		return nil, err
	}
	return &c, nil
}

// ValidateCatalogue checks a catalogue: unique non-empty category codes, a department each (one of
// depts when depts is not nil), a name, and non-negative limits.
func ValidateCatalogue(c *hall.Catalogue, depts map[string]bool) error {
	if len(c.Categories) == 0 {
		return hall.Errorf(hall.EINVALID, "categories", "catalogue has no categories")
	}
	if c.ResolveDays < 0 {
		return hall.Errorf(hall.EINVALID, "resolveDays", "resolveDays must not be negative")
	}
	seen := map[string]bool{}
	for i, k := range c.Categories {
		p := fmt.Sprintf("categories[%d]", i)
		if k.Code == "" || seen[k.Code] {
			return hall.Errorf(hall.EINVALID, p+".code", "category code %q empty or defined twice", k.Code)
		}
		seen[k.Code] = true
		if k.Department == "" || (depts != nil && !depts[k.Department]) {
			return hall.Errorf(hall.EINVALID, p+".department", "category %q names unknown department %q", k.Code, k.Department)
		}
		if k.Name.Zh == "" && k.Name.En == "" {
			return hall.Errorf(hall.EINVALID, p+".name", "category %q has no name", k.Code)
		}
		if k.ResolveDays < 0 {
			return hall.Errorf(hall.EINVALID, p+".resolveDays", "category %q: resolveDays must not be negative", k.Code)
		}
	}
	return nil
}

// resolveDays returns the resolution limit of a category in working days.
func resolveDays(c *hall.Catalogue, category string) int {
	if k, ok := c.Category(category); ok && k.ResolveDays > 0 {
		return k.ResolveDays
	}
	if c.ResolveDays > 0 {
		return c.ResolveDays
	}
	return DefaultResolveDays
}

package http

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// fieldPath finds where a JSON document does not fit the Go type t: the first key t has no
// field for, or the first value of the wrong kind, as a path such as
// "campus.halls[0].services[1].avgMinutes" (encoding/json names only the key, or the path
// without indices). It returns "" when it finds nothing.
func fieldPath(raw []byte, t reflect.Type) string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return ""
	}
	return misfit("", v, t)
}

// misfit walks v (as encoding/json decodes into any) along t.
func misfit(path string, v any, t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if v == nil {
		return ""
	}
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return orRoot(path)
		}
		fields := map[string]reflect.StructField{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			fields[strings.ToLower(name)] = f
		}
		for _, k := range sortedKeys(m) {
			f, ok := fields[strings.ToLower(k)]
			if !ok {
				return join(k)
			}
			if p := misfit(join(k), m[k], f.Type); p != "" {
				return p
			}
		}
	case reflect.Slice, reflect.Array:
		a, ok := v.([]any)
		if !ok {
			return orRoot(path)
		}
		for i, e := range a {
			if p := misfit(fmt.Sprintf("%s[%d]", path, i), e, t.Elem()); p != "" {
				return p
			}
		}
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			return orRoot(path)
		}
		for _, k := range sortedKeys(m) {
			if p := misfit(join(k), m[k], t.Elem()); p != "" {
				return p
			}
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			return orRoot(path)
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			return orRoot(path)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := v.(json.Number)
		if !ok {
			return orRoot(path)
		}
		if _, err := n.Int64(); err != nil {
			return orRoot(path)
		}
	case reflect.Float32, reflect.Float64:
		if _, ok := v.(json.Number); !ok {
			return orRoot(path)
		}
	}
	return ""
}

func orRoot(path string) string {
	if path == "" {
		return "(body)"
	}
	return path
}

func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	// the document's order is lost in a map: name the first misfit in a stable order
	slices.Sort(ks)
	return ks
}

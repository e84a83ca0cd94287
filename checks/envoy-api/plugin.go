package main

import (
	"fmt"
	"math"
	"sort"
)

// The keys jaeger-client-cpp 0.4.2 reads from its YAML config, and their types, as
// its parsers read them (v0.4.2: src/jaegertracing/TracerFactory.cpp and the Config.h
// of Config, samplers, reporters, propagation/HeadersConfig, baggage/RestrictionsConfig).
// The plugin ignores any other key, so a misspelt one would silently do nothing.
type kind int

const (
	text kind = iota
	boolean
	integer // yaml-cpp's as<int>: a whole number
	number  // as<double>
)

var pluginSchema = map[string]any{
	"service_name": text, // required
	"disabled":     boolean,
	"sampler": map[string]any{
		"type":                    text,
		"param":                   number,
		"samplingServerURL":       text,
		"maxOperations":           integer,
		"samplingRefreshInterval": integer, // seconds
	},
	"reporter": map[string]any{
		"queueSize":           integer,
		"bufferFlushInterval": integer, // seconds
		"logSpans":            boolean,
		"localAgentHostPort":  text,
	},
	"headers": map[string]any{
		"jaegerDebugHeader":        text,
		"jaegerBaggageHeader":      text,
		"TraceContextHeaderName":   text,
		"traceBaggageHeaderPrefix": text,
	},
	"baggage_restrictions": map[string]any{
		"denyBaggageOnInitializationFailure": boolean,
		"hostPort":                           text,
		"refreshInterval":                    integer, // seconds
	},
}

func checkPlugin(config map[string]any) error {
	if _, ok := config["service_name"]; !ok {
		return fmt.Errorf("service_name is missing")
	}
	return checkKeys("", config, pluginSchema)
}

func checkKeys(prefix string, values map[string]any, schema map[string]any) error {
	keys := make([]string, 0, len(values))
	for key := range values {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		name := prefix + key
		want, known := schema[key]
		if !known {
			return fmt.Errorf("%s is not a key jaeger-client-cpp 0.4.2 reads", name)
		}
		value := values[key]
		switch want := want.(type) {
		case map[string]any:
			nested, ok := value.(map[string]any)
			if !ok {
				return fmt.Errorf("%s must be a map, got %v", name, value)
			}
			if err := checkKeys(name+".", nested, want); err != nil {
				return err
			}
		case kind:
			if err := checkKind(name, value, want); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkKind(name string, value any, want kind) error {
	switch want {
	case text:
		if _, ok := value.(string); !ok {
			return fmt.Errorf("%s must be a string, got %v", name, value)
		}
	case boolean:
		if _, ok := value.(bool); !ok {
			return fmt.Errorf("%s must be true or false, got %v", name, value)
		}
	case number:
		if _, ok := value.(float64); !ok {
			return fmt.Errorf("%s must be a number, got %v", name, value)
		}
	case integer:
		if n, ok := value.(float64); !ok || n != math.Trunc(n) {
			return fmt.Errorf("%s must be a whole number, got %v", name, value)
		}
	}
	return nil
}

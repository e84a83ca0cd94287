// Checks Envoy bootstrap configs against Envoy's API as it stood at 1.29, the
// release the native variant pins: go-control-plane v0.12.0 is generated from
// envoyproxy/envoy @ 4adc79bc (2024-01-02), the last API snapshot before 1.29.0.
//
//	go run . FILE...
//
// Each file is decoded strictly (an unknown field, in the bootstrap or in any
// typed_config, is an error; so is a typed_config of a type this API lacks),
// then checked by the generated ValidateAll() rules, in every typed_config too,
// and every Jaeger plugin config is checked against what the plugin reads
// (plugin.go). One line per file; exit 1 if any fails.
package main

import (
	"fmt"
	"os"
	"strings"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	tracev3 "github.com/envoyproxy/go-control-plane/envoy/config/trace/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
	"sigs.k8s.io/yaml"

	// The typed_config types the sandbox's configs use, so that decoding can resolve them.
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/fault/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
)

func check(path string) error {
	text, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	json, err := yaml.YAMLToJSON(text)
	if err != nil {
		return fmt.Errorf("not YAML: %w", err)
	}
	var bootstrap bootstrapv3.Bootstrap
	if err := (protojson.UnmarshalOptions{DiscardUnknown: false}).Unmarshal(json, &bootstrap); err != nil {
		return fmt.Errorf("not an Envoy 1.29 bootstrap: %w", err)
	}
	return validateDeep(&bootstrap)
}

// validateDeep runs ValidateAll on the message and on what every Any in it holds: the
// generated rules of a message stop at an Any, whose contents they do not open.
func validateDeep(message proto.Message) error {
	if v, ok := message.(interface{ ValidateAll() error }); ok {
		if err := v.ValidateAll(); err != nil {
			return fmt.Errorf("breaks Envoy 1.29's validation rules: %s", strings.ReplaceAll(err.Error(), "\n", "; "))
		}
	}
	if ot, ok := message.(*tracev3.DynamicOtConfig); ok {
		if err := checkPlugin(ot.GetConfig().AsMap()); err != nil {
			return fmt.Errorf("the Jaeger plugin's config: %w", err)
		}
	}
	var found error
	walk(message.ProtoReflect(), func(held *anypb.Any) {
		if found != nil {
			return
		}
		inner, err := held.UnmarshalNew()
		if err != nil {
			found = fmt.Errorf("typed_config %s: %w", held.GetTypeUrl(), err)
			return
		}
		found = validateDeep(inner)
	})
	return found
}

// walk calls visit for every Any directly in the message tree, not inside the Anys themselves.
func walk(message protoreflect.Message, visit func(*anypb.Any)) {
	if held, ok := message.Interface().(*anypb.Any); ok {
		visit(held)
		return
	}
	message.Range(func(field protoreflect.FieldDescriptor, value protoreflect.Value) bool {
		switch {
		case field.IsList() && field.Message() != nil:
			for i := 0; i < value.List().Len(); i++ {
				walk(value.List().Get(i).Message(), visit)
			}
		case field.IsMap() && field.MapValue().Message() != nil:
			value.Map().Range(func(_ protoreflect.MapKey, v protoreflect.Value) bool {
				walk(v.Message(), visit)
				return true
			})
		case !field.IsList() && !field.IsMap() && field.Message() != nil:
			walk(value.Message(), visit)
		}
		return true
	})
}

func main() {
	failed := 0
	for _, path := range os.Args[1:] {
		if err := check(path); err != nil {
			failed++
			fmt.Printf("FAIL %s: %s\n", path, strings.ReplaceAll(err.Error(), "\n", " "))
		} else {
			fmt.Printf("ok   %s\n", path)
		}
	}
	if failed > 0 || len(os.Args) < 2 {
		os.Exit(1)
	}
}

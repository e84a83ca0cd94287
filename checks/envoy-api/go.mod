// Envoy's API as it stood at Envoy 1.29 (go-control-plane v0.12.0), to check the
// native configs untransformed: `npm run validate:native`.
module sandbox.local/envoy-api

go 1.26

require (
	github.com/envoyproxy/go-control-plane v0.12.0
	google.golang.org/protobuf v1.32.0
	sigs.k8s.io/yaml v1.4.0
)

require (
	github.com/census-instrumentation/opencensus-proto v0.4.1 // indirect
	github.com/cncf/xds/go v0.0.0-20230607035331-e9ce68804cb4 // indirect
	github.com/envoyproxy/protoc-gen-validate v1.0.2 // indirect
	github.com/golang/protobuf v1.5.3 // indirect
	github.com/kr/text v0.2.0 // indirect
	github.com/rogpeppe/go-internal v1.16.0 // indirect
	google.golang.org/genproto/googleapis/api v0.0.0-20230711160842-782d3b101e98 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20230711160842-782d3b101e98 // indirect
)

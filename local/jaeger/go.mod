// Pins the Jaeger v2 release that docker-compose.yml runs (2.20.0), so the
// local topology and CI build the same collector from source.
module sandbox.local/jaeger

go 1.26

/*
 * The probes of go-service. `tracetape gen-go probes.d -o probes.go` turns this file into the
 * Go package next to it (go generate ./... does the same, see main.go).
 */
provider goservice {
	/* a request: begin and end share the request's id, so they pair into a span */
	probe request__begin(uint64_t id, char *method, char *route);
	probe request__end(uint64_t id, int status, int64_t bytes);
	/* the simulated database call of a request */
	probe query__begin(uint64_t id, char *sql);
	probe query__end(uint64_t id, int32_t rows, double ms);
};

package api

import (
	_ "embed"
	"net/http"
)

// openapiJSON is the hand-written OpenAPI 3 document of /api/v1; a test
// checks it lists exactly the routes of the route table.
//
//go:embed openapi.json
var openapiJSON []byte

func (d Deps) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openapiJSON)
}

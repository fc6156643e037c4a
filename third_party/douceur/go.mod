module github.com/aymerick/douceur

go 1.21

require github.com/gorilla/css v1.0.1

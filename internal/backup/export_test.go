package backup

// BlobColumns names the columns Referenced reads, as "table.column".
func BlobColumns() []string {
	out := make([]string, len(blobColumns))
	for i, c := range blobColumns {
		out[i] = c.table + "." + c.column
	}
	return out
}

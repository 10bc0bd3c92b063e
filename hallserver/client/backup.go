package client

import (
	"context"
	"fmt"
	"io"
	"net/http"
)

// Backup streams a consistent copy of the server's data file (GET /api/v1/admin/backup, admin
// token) into w and returns the bytes written. The answer is not held in memory; set c.HTTP
// without a Timeout (or nil) for large files.
func (c *Client) Backup(ctx context.Context, w io.Writer) (int64, error) {
	const path = "/api/v1/admin/backup"
	req, err := http.NewRequestWithContext(ctx, "GET", c.Server()+path, nil)
	if err != nil {
		return 0, fmt.Errorf("GET %s: %w", path, err)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return 0, fmt.Errorf("GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return 0, fmt.Errorf("GET %s: %w", path, answerError(resp.StatusCode, b))
	}
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		return n, fmt.Errorf("GET %s: %w", path, err)
	}
	return n, nil
}

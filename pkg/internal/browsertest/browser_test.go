package browsertest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The browser runs the page's script (so DOM is the page as loaded, not as sent) and draws its SVG
// (so Screenshot shows what a person sees): a red line on white shows up as red pixels.
func TestBrowserParsesAndDraws(t *testing.T) {
	bin := Require(t)
	page := filepath.Join(t.TempDir(), "page.html")
	html := `<!doctype html><html><body style="margin:0;background:#fff">
<p id="p">sent</p><script>document.getElementById("p").textContent = "scripted"</script>
<svg width="200" height="50"><polyline points="0,25 200,25" stroke="#cc0000" stroke-width="10" fill="none"/></svg>
</body></html>`
	if err := os.WriteFile(page, []byte(html), 0o644); err != nil {
		t.Fatal(err)
	}
	dom := DOM(t, bin, "file://"+page)
	if !strings.Contains(dom, ">scripted<") || !strings.Contains(dom, "<polyline") {
		t.Fatalf("the DOM is not the page as loaded:\n%s", dom)
	}
	img := Screenshot(t, bin, "file://"+page, 300, 200)
	if red := CountColor(img, 0xcc, 0, 0, 24); red < 200*10/2 {
		t.Fatalf("%d red pixels drawn, want most of the 200×10 line", red)
	}
	if white := CountColor(img, 0xff, 0xff, 0xff, 0); white < 300*200/2 {
		t.Fatalf("%d white pixels: the background was not drawn", white)
	}
}

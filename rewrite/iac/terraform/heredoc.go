package terraform

import (
	"bytes"

	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/fixpolicy/fixpolicy/rewrite/iac"
)

// locateHeredoc reads policy = <<EOF ... EOF (or <<-EOT): JSON whose
// interpolations become symbols.
func (f *file) locateHeredoc(d *iac.Document, x *hclsyntax.TemplateExpr) error {
	r := x.Range()
	nl := bytes.IndexByte(f.src[r.Start.Byte:r.End.Byte], '\n')
	if nl < 0 {
		return unsupported(r, "a heredoc without a body")
	}
	start := r.Start.Byte + nl + 1
	end := lineStart(f.src, r.End.Byte)
	if end < start {
		end = start
	}
	flush := bytes.HasPrefix(f.src[r.Start.Byte:], []byte("<<-"))
	ins, err := interpolations(f.src, x.Parts, f.st.symbol)
	if err != nil {
		return err
	}
	b, err := newBody(f, start, end, ins, flush, true)
	if err != nil {
		return unsupported(r, "%v", err)
	}
	d.Format = iac.FormatTerraformHeredoc
	d.Policy = []byte(b.json)
	d.Pos = f.posAt(start)
	d.Statements = b.statements()
	d.Editor = b
	return nil
}

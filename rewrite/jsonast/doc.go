// Package jsonast is a lossless JSON layer for minimal, style-preserving
// rewrites of JSON documents (AWS S3 bucket policies in particular).
//
// Parse builds a mutable tree of *Value that remembers key order, number
// literals as written, the original source text of every value (Source,
// and where it lies: Span, with lines and columns in characters and in
// UTF-16 code units, as Position computes them) and the whitespace layout
// of every container. Callers mutate the tree directly
// (change Str, append to or remove from Members/Elems, replace a Member's
// Value, rename a Member's Key, build values with New*) and call Render.
//
// # Rendering rules
//
// A value whose content equals its parse-time content (compared deeply and
// structurally, so clones and values restored to their old content count
// as unchanged) is written as its original source text, so
// Render(Parse(src)) == src byte for byte, including a byte order mark and
// the whitespace around the top-level value.
//
// A changed container is rebuilt. Every child that came from this
// container keeps its leading whitespace (the text between the previous ','
// or the opening bracket and the child), its key token as written (unless
// the key was renamed), its colon text and the whitespace before its comma;
// the whitespace before the closing bracket is kept. A child that moved
// between the first position and a later one takes the first child's,
// respectively a later sibling's, leading whitespace, so `[1, 2]` minus its
// first element is `[2]`.
//
// New children copy the leading whitespace of the nearest source sibling
// (previous, else next) and its colon text, else the document's dominant
// colon. A container without source children derives its layout: in a
// multi-line context, newline + the indentation of the container's line +
// one indent unit per child and the closing bracket on its own line at the
// container's indentation; in a one-line context, `{"a":1}` or
// `{ "a": 1 }` following the document (Style.InnerSpace, Style.CommaSpace).
// New containers are multi-line in multi-line documents, except inside
// one-line source containers. A single child hugging its brackets, as in
// `[{` ... `}]`, gets new siblings as `}, {`.
//
// A source value rendered at a different indentation than in its source
// (moved deeper or shallower) is re-indented line by line. Empty
// containers render as {} and []. Changed scalars are rendered alone:
// strings are escaped as JSON requires, without HTML escaping, non-ASCII as
// UTF-8; numbers as their literal.
//
// The indent unit is the most common positive indentation step between a
// container's line and its children's lines (default four spaces); line
// endings follow the document's majority ("\n" or "\r\n").
//
// Trees must be acyclic; Render, Compact and Indent panic on absurdly deep
// (cyclic) trees. Rendering does not modify the tree and may run
// concurrently.
package jsonast

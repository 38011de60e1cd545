package render

import (
	"bytes"
	"text/template"
	"text/template/parse"
)

// A plan renders the usual template without text/template: text, fields of
// the record ({{.title}}) and join calls on fields and strings ({{join
// .genres ", "}}, {{.genres | join ", "}}), nothing else. It prints what the
// rewritten template (see parseTemplate) prints, calling the same functions,
// without reflection. Any other template has no plan.
type plan []step

// step is one node of the template: text, or an action that prints
// textOf(value) where value is a field, or join of two operands.
type step struct {
	text string     // printed as it is, when not an action
	act  bool       // an action
	join bool       // the action calls join with args; else prints args[0]
	args [2]operand // the field, or join's operands in the call's order
}

// operand is a field of the record, or a constant string.
type operand struct {
	field string
	str   string
	isStr bool
}

func (o operand) value(fields map[string]any) any {
	if o.isStr {
		return o.str
	}
	return fields[o.field]
}

// newPlan returns the plan of t, rewritten by parseTemplate, or nil.
func newPlan(t *template.Template) plan {
	if len(t.Templates()) != 1 || t.Tree == nil || t.Tree.Root == nil {
		return nil
	}
	p := plan{}
	for _, n := range t.Tree.Root.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			p = append(p, step{text: string(n.Text)})
		case *parse.ActionNode:
			s, ok := actionStep(n.Pipe)
			if !ok {
				return nil
			}
			p = append(p, s)
		default:
			return nil
		}
	}
	return p
}

// actionStep reads a rewritten action: FIELD | _salvo_text,
// join A B | _salvo_text, or FIELD | join A | _salvo_text.
func actionStep(pipe *parse.PipeNode) (step, bool) {
	if pipe == nil || len(pipe.Decl) > 0 || pipe.IsAssign || len(pipe.Cmds) < 2 || len(pipe.Cmds) > 3 {
		return step{}, false
	}
	if last := pipe.Cmds[len(pipe.Cmds)-1]; len(last.Args) != 1 || !isIdentNode(last.Args[0], textFunc) {
		return step{}, false
	}
	cmds := pipe.Cmds[:len(pipe.Cmds)-1]
	s := step{act: true}
	first := cmds[0].Args
	switch {
	case len(cmds) == 1 && len(first) == 1:
		f, ok := fieldOperand(first[0])
		s.args[0] = f
		return s, ok && !f.isStr
	case len(cmds) == 1 && len(first) == 3 && isIdentNode(first[0], "join"):
		a, okA := argOperand(first[1])
		b, okB := argOperand(first[2])
		s.join, s.args = true, [2]operand{a, b}
		return s, okA && okB
	case len(cmds) == 2 && len(first) == 1 && len(cmds[1].Args) == 2 && isIdentNode(cmds[1].Args[0], "join"):
		f, okF := fieldOperand(first[0])
		a, okA := argOperand(cmds[1].Args[1])
		s.join, s.args = true, [2]operand{a, f} // the piped value comes last
		return s, okF && !f.isStr && okA
	}
	return step{}, false
}

func isIdentNode(n parse.Node, name string) bool {
	id, ok := n.(*parse.IdentifierNode)
	return ok && id.Ident == name
}

// fieldOperand reads {{.name}}: a field of the record itself.
func fieldOperand(n parse.Node) (operand, bool) {
	f, ok := n.(*parse.FieldNode)
	if !ok || len(f.Ident) != 1 {
		return operand{}, false
	}
	return operand{field: f.Ident[0]}, true
}

// argOperand reads a field or a string constant.
func argOperand(n parse.Node) (operand, bool) {
	if s, ok := n.(*parse.StringNode); ok {
		return operand{str: s.Text, isStr: true}, true
	}
	return fieldOperand(n)
}

// execute prints the plan for a record's fields.
func (p plan) execute(b *bytes.Buffer, fields map[string]any) {
	for _, s := range p {
		switch {
		case !s.act:
			b.WriteString(s.text)
		case s.join:
			b.WriteString(join(s.args[0].value(fields), s.args[1].value(fields)))
		default:
			b.WriteString(textOf(s.args[0].value(fields)))
		}
	}
}

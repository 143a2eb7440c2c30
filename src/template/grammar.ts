/**
 * Tera's grammar (`src/parser/tera.pest` of Tera 1.20, the version upstream mirrord builds), rule
 * by rule, for the pest-compatible interpreter in peg.ts. Keeping pest's rule names and
 * modifiers makes the accepted language, and the position of syntax errors, the same as Tera's;
 * parser.ts turns the resulting pairs into the AST.
 */
import { ANY, choice, lit, not, opt, plus, type RuleDef, range, ref, seq, star, until } from "./peg.js";

const r = ref;
/** References to the rules named in a space-separated list. */
const refs = (names: string) => names.split(" ").map(ref);
const normal = (body: RuleDef["body"]): RuleDef => ({ mod: "", body });
const silent = (body: RuleDef["body"]): RuleDef => ({ mod: "_", body });
const atomic = (body: RuleDef["body"]): RuleDef => ({ mod: "@", body });
const compound = (body: RuleDef["body"]): RuleDef => ({ mod: "$", body });
const nonAtomic = (body: RuleDef["body"]): RuleDef => ({ mod: "!", body });

const digit = range("0", "9");
const identStart = choice(range("a", "z"), range("A", "Z"), "_");
const WS = r("WHITESPACE");
const quoted = (q: string) => atomic(seq(q, star(seq(not(q), ANY)), q));
const ifChain = (content: string) =>
  compound(
    seq(
      r("if_tag"),
      star(r(content)),
      star(seq(r("elif_tag"), star(r(content)))),
      opt(seq(r("else_tag"), star(r(content)))),
      r("endif_tag"),
    ),
  );
/** `{% name %}` with nothing else (`{% endif %}`, `{% break %}`...). */
const bareTag = (name: string, withIdent = false) =>
  nonAtomic(seq(r("tag_start"), name, ...(withIdent ? [opt(r("ident"))] : []), r("tag_end")));
const tagOpen = (keyword: string) => [r("tag_start"), star(WS), keyword, plus(WS)] as const;
const setTag = (keyword: string) =>
  compound(
    seq(
      ...tagOpen(keyword),
      r("ident"),
      star(WS),
      "=",
      star(WS),
      choice(r("logic_expr"), r("array_filter")),
      star(WS),
      r("tag_end"),
    ),
  );

/** The rules, in the order of the .pest file (pest sorts expected rules by this order). */
export const grammar: Readonly<Record<string, RuleDef>> = {
  EOI: normal(not(ANY)),
  WHITESPACE: silent(choice(" ", "\t", "\r", "\n")),

  int: atomic(seq(opt("-"), choice("0", seq(range("1", "9"), star(digit))))),
  float: atomic(
    seq(opt("-"), choice(seq("0", ".", plus(digit)), seq(range("1", "9"), star(digit), ".", plus(digit)))),
  ),
  double_quoted_string: quoted('"'),
  single_quoted_string: quoted("'"),
  backquoted_quoted_string: quoted("`"),
  string: atomic(choice(r("double_quoted_string"), r("single_quoted_string"), r("backquoted_quoted_string"))),
  boolean: normal(choice("true", "false", "True", "False")),

  op_or: atomic(seq("or", WS)),
  op_and: atomic(seq("and", WS)),
  op_not: atomic(seq("not", WS)),
  op_lte: normal(lit("<=")),
  op_gte: normal(lit(">=")),
  op_lt: normal(lit("<")),
  op_gt: normal(lit(">")),
  op_eq: normal(lit("==")),
  op_ineq: normal(lit("!=")),
  op_plus: normal(lit("+")),
  op_minus: normal(lit("-")),
  op_times: normal(lit("*")),
  op_slash: normal(lit("/")),
  op_modulo: normal(lit("%")),

  all_chars: silent(choice(range("a", "z"), range("A", "Z"), "_", digit)),
  ident: atomic(seq(identStart, star(r("all_chars")))),
  dotted_ident: atomic(seq(identStart, star(r("all_chars")), star(seq(".", plus(r("all_chars")))))),
  square_brackets: atomic(seq("[", choice(r("int"), r("string"), r("dotted_square_bracket_ident")), "]")),
  dotted_square_bracket_ident: atomic(
    seq(r("dotted_ident"), star(choice(seq(".", plus(r("all_chars"))), r("square_brackets")))),
  ),
  string_concat: normal(
    seq(
      choice(r("fn_call"), r("float"), r("int"), r("string"), r("dotted_square_bracket_ident")),
      plus(
        seq("~", choice(r("fn_call"), r("float"), r("int"), r("string"), r("dotted_square_bracket_ident"))),
      ),
    ),
  ),

  basic_val: silent(
    choice(
      r("boolean"),
      r("test_not"),
      r("test"),
      r("macro_call"),
      r("fn_call"),
      r("dotted_square_bracket_ident"),
      r("float"),
      r("int"),
    ),
  ),
  basic_op: silent(choice(r("op_plus"), r("op_minus"), r("op_times"), r("op_slash"), r("op_modulo"))),
  basic_expr: normal(
    seq(
      choice(seq("(", r("basic_expr"), ")"), r("basic_val")),
      star(seq(r("basic_op"), choice(seq("(", r("basic_expr"), ")"), r("basic_val")))),
    ),
  ),
  basic_expr_filter: nonAtomic(seq(r("basic_expr"), star(r("filter")))),
  string_expr_filter: nonAtomic(seq(choice(r("string_concat"), r("string")), star(r("filter")))),
  comparison_val: normal(seq(r("basic_expr_filter"), star(seq(r("basic_op"), r("basic_expr_filter"))))),
  comparison_op: silent(choice(r("op_lte"), r("op_gte"), r("op_gt"), r("op_lt"), r("op_eq"), r("op_ineq"))),
  comparison_expr: normal(
    seq(
      choice(r("string_expr_filter"), r("comparison_val")),
      opt(seq(r("comparison_op"), choice(r("string_expr_filter"), r("comparison_val")))),
    ),
  ),
  in_cond_container: normal(
    choice(r("string_expr_filter"), r("array_filter"), r("dotted_square_bracket_ident")),
  ),
  in_cond: nonAtomic(
    seq(
      choice(r("string_expr_filter"), r("basic_expr_filter")),
      opt(r("op_not")),
      "in",
      r("in_cond_container"),
    ),
  ),
  logic_val: nonAtomic(
    choice(seq(opt(r("op_not")), choice(r("in_cond"), r("comparison_expr"))), seq("(", r("logic_expr"), ")")),
  ),
  logic_expr: nonAtomic(seq(r("logic_val"), star(seq(choice(r("op_or"), r("op_and")), r("logic_val"))))),
  array: nonAtomic(seq("[", star(seq(r("logic_val"), ",")), opt(r("logic_val")), "]")),
  array_filter: nonAtomic(seq(r("array"), star(r("filter")))),
  string_array: nonAtomic(seq("[", star(seq(r("string"), ",")), opt(r("string")), "]")),

  kwarg: normal(seq(r("ident"), "=", choice(r("logic_expr"), r("array_filter")))),
  kwargs: silent(seq(r("kwarg"), star(seq(",", r("kwarg"))), opt(","))),
  fn_call: nonAtomic(seq(r("ident"), "(", opt(r("kwargs")), ")")),
  filter: normal(seq("|", choice(r("fn_call"), r("ident")))),

  macro_def_arg: compound(
    choice(seq(r("ident"), "=", choice(r("boolean"), r("string"), r("float"), r("int"))), r("ident")),
  ),
  macro_def_args: silent(seq(r("macro_def_arg"), star(seq(",", r("macro_def_arg"))))),
  macro_fn: silent(seq(r("ident"), "(", opt(r("macro_def_args")), ")")),
  macro_fn_wrapper: nonAtomic(r("macro_fn")),
  macro_call: normal(seq(r("ident"), "::", r("ident"), "(", opt(r("kwargs")), ")")),

  test_arg: normal(choice(r("logic_expr"), r("array_filter"))),
  test_args: silent(seq(r("test_arg"), star(seq(",", r("test_arg"))))),
  test_call: nonAtomic(seq(r("ident"), opt(seq("(", r("test_args"), ")")))),
  test_not: normal(seq(r("dotted_square_bracket_ident"), "is", "not", r("test_call"))),
  test: normal(seq(r("dotted_square_bracket_ident"), "is", r("test_call"))),

  variable_start: normal(choice("{{-", "{{")),
  variable_end: normal(choice("-}}", "}}")),
  tag_start: normal(choice("{%-", "{%")),
  tag_end: normal(choice("-%}", "%}")),
  comment_start: normal(choice("{#-", "{#")),
  comment_end: normal(choice("-#}", "#}")),
  block_start: silent(choice(r("variable_start"), r("tag_start"), r("comment_start"))),
  comment_text: compound(until(r("comment_end"), /[-#]/, 1)),
  ignore_missing: normal(seq("ignore", star(WS), "missing")),

  include_tag: compound(
    seq(
      ...tagOpen("include"),
      choice(r("string"), r("string_array")),
      star(WS),
      opt(r("ignore_missing")),
      star(WS),
      r("tag_end"),
    ),
  ),
  comment_tag: compound(seq(r("comment_start"), r("comment_text"), r("comment_end"))),
  block_tag: compound(seq(...tagOpen("block"), r("ident"), star(WS), r("tag_end"))),
  macro_tag: compound(seq(...tagOpen("macro"), r("macro_fn_wrapper"), star(WS), r("tag_end"))),
  if_tag: compound(seq(...tagOpen("if"), r("logic_expr"), star(WS), r("tag_end"))),
  elif_tag: compound(seq(...tagOpen("elif"), r("logic_expr"), star(WS), r("tag_end"))),
  else_tag: bareTag("else"),
  for_tag: compound(
    seq(
      ...tagOpen("for"),
      r("ident"),
      opt(seq(",", star(WS), r("ident"))),
      plus(WS),
      "in",
      plus(WS),
      choice(r("basic_expr_filter"), r("array_filter")),
      star(WS),
      r("tag_end"),
    ),
  ),
  filter_tag: compound(seq(...tagOpen("filter"), choice(r("fn_call"), r("ident")), star(WS), r("tag_end"))),
  set_tag: setTag("set"),
  set_global_tag: setTag("set_global"),
  endblock_tag: bareTag("endblock", true),
  endmacro_tag: bareTag("endmacro", true),
  endif_tag: bareTag("endif"),
  endfor_tag: bareTag("endfor"),
  endfilter_tag: bareTag("endfilter"),
  break_tag: bareTag("break"),
  continue_tag: bareTag("continue"),

  variable_tag: nonAtomic(
    seq(r("variable_start"), choice(r("logic_expr"), r("array_filter")), r("variable_end")),
  ),
  super_tag: nonAtomic(seq(r("variable_start"), "super()", r("variable_end"))),
  text: compound(until(r("block_start"), /\{[{%#]/, 1)),
  raw_tag: bareTag("raw"),
  endraw_tag: bareTag("endraw"),
  raw_text: compound(until(r("endraw_tag"), /\{%/, 0)),
  raw: compound(seq(r("raw_tag"), r("raw_text"), r("endraw_tag"))),

  filter_section: compound(seq(r("filter_tag"), star(r("filter_section_content")), r("endfilter_tag"))),
  forloop: compound(
    seq(
      r("for_tag"),
      star(r("for_content")),
      star(seq(r("else_tag"), star(r("for_content")))),
      r("endfor_tag"),
    ),
  ),
  macro_if: ifChain("macro_content"),
  block_if: ifChain("block_content"),
  for_if: ifChain("for_content"),
  filter_section_if: ifChain("filter_section_content"),
  content_if: ifChain("content"),
  block: compound(seq(r("block_tag"), star(r("block_content")), r("endblock_tag"))),
  macro_definition: compound(seq(r("macro_tag"), star(r("macro_content")), r("endmacro_tag"))),

  filter_section_content: atomic(
    choice(
      ...refs(
        "include_tag variable_tag comment_tag set_tag set_global_tag block forloop filter_section_if raw filter_section text",
      ),
    ),
  ),
  macro_content: atomic(
    choice(
      ...refs(
        "include_tag variable_tag comment_tag set_tag set_global_tag macro_if forloop filter_section raw text",
      ),
    ),
  ),
  block_content: atomic(
    choice(
      ...refs(
        "include_tag super_tag variable_tag comment_tag set_tag set_global_tag block block_if forloop filter_section raw text",
      ),
    ),
  ),
  for_content: atomic(
    choice(
      ...refs(
        "include_tag variable_tag comment_tag set_tag set_global_tag for_if forloop break_tag continue_tag filter_section raw text",
      ),
    ),
  ),
  content: atomic(
    choice(
      ...refs(
        "include_tag variable_tag comment_tag set_tag set_global_tag block content_if forloop filter_section raw text",
      ),
    ),
  ),

  extends_tag: compound(
    seq(
      star(WS),
      r("tag_start"),
      star(WS),
      "extends",
      plus(WS),
      r("string"),
      star(WS),
      r("tag_end"),
      star(WS),
    ),
  ),
  import_macro_tag: compound(
    seq(
      star(WS),
      r("tag_start"),
      star(WS),
      "import",
      plus(WS),
      r("string"),
      plus(WS),
      "as",
      plus(WS),
      r("ident"),
      star(WS),
      r("tag_end"),
      star(WS),
    ),
  ),
  top_imports: silent(
    choice(
      seq(r("extends_tag"), star(r("import_macro_tag"))),
      seq(plus(r("import_macro_tag")), opt(r("extends_tag"))),
    ),
  ),
  template: compound(
    seq(
      star(r("comment_tag")),
      opt(r("top_imports")),
      star(choice(r("content"), r("macro_definition"))),
      r("EOI"),
    ),
  ),
};

/** What a rule stands for in "expected ..." messages. */
export const ruleDescriptions: Readonly<Record<string, string>> = {
  EOI: "end of input",
  int: "an integer",
  float: "a float",
  string: "a string",
  double_quoted_string: "a string",
  single_quoted_string: "a string",
  backquoted_quoted_string: "a string",
  string_concat: "a concatenation of strings",
  string_expr_filter: "a string or a concatenation of strings",
  array: "an array of values",
  array_filter: "an array of values",
  string_array: "an array of strings",
  boolean: "`true` or `false`",
  ident: "an identifier",
  dotted_ident: "a dotted identifier",
  dotted_square_bracket_ident: "a variable",
  square_brackets: "an identifier, string or integer inside `[]`",
  basic_expr_filter: "an expression",
  comparison_val: "a comparison value",
  basic_expr: "an expression",
  comparison_expr: "an expression",
  logic_val: "a value",
  logic_expr: "an expression",
  fn_call: "a function call",
  kwarg: "a keyword argument `name=value`",
  op_or: "`or`",
  op_and: "`and`",
  op_not: "`not`",
  op_lte: "`<=`",
  op_gte: "`>=`",
  op_lt: "`<`",
  op_gt: "`>`",
  op_eq: "`==`",
  op_ineq: "`!=`",
  op_plus: "`+`",
  op_minus: "`-`",
  op_times: "`*`",
  op_slash: "`/`",
  op_modulo: "`%`",
  filter: "a filter",
  test: "a test",
  test_not: "a negated test",
  test_call: "a test call",
  test_arg: "a test argument",
  macro_fn_wrapper: "a macro signature",
  macro_call: "a macro call",
  macro_def_arg: "an argument name with an optional literal default",
  endmacro_tag: "`{% endmacro %}`",
  tag_start: "a tag",
  tag_end: "`%}` or `-%}`",
  super_tag: "`{{ super() }}`",
  raw_tag: "`{% raw %}`",
  endraw_tag: "`{% endraw %}`",
  ignore_missing: "`ignore missing`",
  include_tag: "an include tag",
  comment_tag: "a comment (`{# ... #}`)",
  comment_text: "the text of a comment",
  variable_tag: "a variable tag (`{{ ... }}`)",
  filter_tag: "a filter section",
  filter_section: "a filter section",
  for_tag: "a for loop",
  forloop: "a for loop",
  endfilter_tag: "`{% endfilter %}`",
  endfor_tag: "`{% endfor %}`",
  if_tag: "an `if` tag",
  content_if: "an `if` tag",
  block_if: "an `if` tag",
  macro_if: "an `if` tag",
  for_if: "an `if` tag",
  filter_section_if: "an `if` tag",
  elif_tag: "an `elif` tag",
  else_tag: "an `else` tag",
  endif_tag: "`{% endif %}`",
  variable_start: "`{{`",
  variable_end: "`}}`",
  comment_start: "`{#`",
  comment_end: "`#}`",
  block: "a block tag",
  block_tag: "a block tag",
  endblock_tag: "`{% endblock %}`",
  macro_definition: "a macro definition",
  macro_tag: "a macro definition",
  extends_tag: "an extends tag",
  import_macro_tag: "an import tag",
  break_tag: "`{% break %}`",
  continue_tag: "`{% continue %}`",
  in_cond: "an `in` condition",
  in_cond_container: "a string, an array or a variable",
  set_tag: "a `set` tag",
  set_global_tag: "a `set_global` tag",
  text: "some text",
  content: "some content",
  block_content: "some content",
  for_content: "some content",
  macro_content: "some content",
  filter_section_content: "some content",
};

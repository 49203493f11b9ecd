"""The branch pass: manual + one branch → the concrete Document every writer renders.

In one walk it drops content whose conditions do not match the branch, fills placeholders,
computes numbers (after dropping, so each branch's copy is numbered without gaps) and resolves
references to chapters, sections, clauses and forms.
"""

from __future__ import annotations

from dataclasses import replace

from builder.document import fonts, model, numbering, placeholders
from builder.document import script as scripts
from builder.sources import schema
from builder.sources.load import Manual


def matches(cond: schema.Condition | None, branch: schema.BranchSrc) -> bool:
    if cond is None:
        return True
    tests = (
        (cond.branch, [branch.id]),
        (cond.region, [branch.region]),
        (cond.kind, [branch.kind]),
        (cond.flag, branch.flags),
    )
    return all(wanted is None or any(v in wanted for v in have) for wanted, have in tests)


def applies(node: schema.Conditional, branch: schema.BranchSrc) -> bool:
    return matches(node.when, branch) and not (
        node.unless is not None and matches(node.unless, branch)
    )


def approval_chain_text(chain) -> str:
    return "→".join(f"{step.role}（{step.days}个工作日）" for step in chain)


def _compute(src: schema.Compute | None) -> tuple[str, tuple[str, ...]] | None:
    if src is None:
        return None
    for op in ("sum", "average", "days_between", "capitals"):
        value = getattr(src, op)
        if value is not None:
            return op, tuple(value) if isinstance(value, list) else (value,)
    return None


class _Resolver:
    def __init__(
        self,
        manual: Manual,
        branch: schema.BranchSrc,
        marked: frozenset[str] = frozenset(),
        draft: bool = False,
    ):
        self.manual = manual
        self.draft = draft  # highlight the values marked 待确认
        self.marked = marked  # ids marked 本次修订
        self.branch = branch
        self.values = {**manual.branches.defaults.values, **branch.values}
        self.labels: dict[str, str] = {}  # id → "七（四）2.“逐级审批”"
        self.forms = {f.id: f for f in manual.forms}
        self.scheme = numbering.scheme(manual.meta.numbering, branch.script)
        self.counter = numbering.Counter(self.scheme)  # of the document tree (`number`)
        self.traditional = scripts.is_traditional(branch.script)
        self.handwritten: set[str] = set()  # clauses whose text_hant replaces the conversion

    # --- inline text ---------------------------------------------------------------------
    def field(self, kind: str, name: str) -> str:
        """A branch or manual field as plain text (review marks in a branch's value dropped)."""
        return "".join(text for text, _ in self.field_parts(kind, name))

    def field_parts(self, kind: str, name: str) -> list[tuple[str, bool]]:
        """A branch or manual field as (text, marked 待确认) runs."""
        if kind == "branch" and name in self.values and name not in placeholders.BRANCH_FIELDS:
            return placeholders.review_parts(self.values[name])
        return [(self._field(kind, name), False)]

    def _field(self, kind: str, name: str) -> str:
        if kind == "branch":
            if name == "approval_chain":
                return approval_chain_text(self.branch.approval_chain)
            if name == "approval_levels":
                return str(len(self.branch.approval_chain))
            if name in placeholders.BRANCH_FIELDS:
                return getattr(self.branch, name) or ""
            return self.values[name]
        value = getattr(self.manual.meta, name)
        return "" if value is None else str(value)

    def inline(self, text: str) -> model.Paragraph:
        spans: list[model.Span] = []
        for part in placeholders.parse(text):
            if isinstance(part, placeholders.Literal):
                spans.append(model.Span(part.text))
            elif part.kind == "review":
                spans.append(model.Span(part.name, review=self.draft))
            elif part.kind in ("branch", "manual"):
                for text, review in self.field_parts(part.kind, part.name):
                    spans.append(model.Span(text, review=review and self.draft))
            elif part.kind == "form":
                form = self.forms[part.name]
                spans.append(
                    model.Span(f"《{self.title(form.title)}》（{form.code}）", ref=form.id)
                )
            else:  # clause, section or chapter
                label = self.labels.get(part.name)
                if label is None:  # left out for this branch
                    spans.append(model.Span("（本机构不适用）"))
                else:
                    spans.append(model.Span(label, ref=part.name))
        merged: list[model.Span] = []
        for span in spans:  # join neighbouring plain runs
            if (
                merged
                and merged[-1].ref is None
                and span.ref is None
                and merged[-1].review == span.review
            ):
                merged[-1] = model.Span(merged[-1].text + span.text, review=span.review)
            elif span.text:
                merged.append(span)
        return tuple(merged)

    def text(self, value: str | None) -> str | None:
        """A text printed without links (a table header, a form field's label, help or example):
        placeholders filled, references as their plain text."""
        return None if value is None else model.plain(self.inline(value))

    def title(self, value: str | None) -> str | None:
        """A title: {branch.*} and {manual.*} filled (`check` refuses references in titles, which
        the table of contents, the bookmarks and the references to the node print too)."""
        if value is None:
            return None
        return "".join(
            part.text
            if isinstance(part, placeholders.Literal)
            else self.field(part.kind, part.name)
            if part.kind in ("branch", "manual")
            else part.name
            if part.kind == "review"
            else part.source
            for part in placeholders.parse(value)
        )

    @staticmethod
    def option(value: str) -> str:
        """An option of a choice: its text is the value the form keeps, the same for every
        branch, so `check` refuses placeholders there; only {{ and }} become braces."""
        return "".join(
            part.text if isinstance(part, placeholders.Literal) else part.source
            for part in placeholders.parse(value)
        )

    def paragraphs(self, value) -> tuple[model.Paragraph, ...]:
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        return tuple(self.inline(v) for v in value)

    # --- numbering pass: labels of everything that survives the branch's conditions ---------
    def number_all(self, chapters: list[schema.Chapter]) -> None:
        counter = numbering.Counter(self.scheme)

        def visit(nodes, kind: str, parent: int, chain: list[tuple[int, str]]):
            for node in nodes:
                if not applies(node, self.branch):
                    continue
                level = self.scheme.child_level(parent, kind)
                _, lab = counter.next(level)
                here = chain + [(level, lab)]
                path = self.scheme.path(here)
                title = self.title(node.title)
                self.labels[node.id] = f"{path}“{title}”" if title else path
                if isinstance(node, schema.Section):
                    visit(node.sections, "section", level, here)
                visit(node.clauses, "clause", level, here)

        visit(chapters, "section", 0, [])

    # --- the document tree ---------------------------------------------------------------
    # `number` draws on one Counter for the whole tree, so the tree is built in reading order
    # (numbering.Counter counts as Word does): a node's number, then its items, then its
    # sections and clauses (a node holds sections or clauses, never both), each in order.
    def number(self, kind: str, parent: int, chain: list[tuple[int, str]]) -> model.Number:
        """The next number of a `kind` ("section", "clause", "item") under a parent at level
        `parent` (0: the top); chain: the parents' (level, label), for the reference form."""
        level = self.scheme.child_level(parent, kind)
        ordinal, lab = self.counter.next(level)
        return model.Number(
            level,
            ordinal,
            lab,
            self.scheme.path(chain + [(level, lab)]),
            self.scheme.levels[level - 1].sep,
        )

    def sections(self, nodes, parent: int, chain: list) -> tuple[model.Section, ...]:
        out = []
        for node in (n for n in nodes if applies(n, self.branch)):
            num = self.number("section", parent, chain)
            here = chain + [(num.level, num.label)]
            out.append(
                model.Section(
                    id=node.id,
                    number=num,
                    title=self.title(node.title),
                    title_en=self.title(node.title_en),
                    intro=self.paragraphs(node.intro),
                    sections=self.sections(node.sections, num.level, here),
                    clauses=self.clauses(node.clauses, num.level, here),
                    changed=node.id in self.marked,
                )
            )
        return tuple(out)

    def clauses(self, nodes, parent: int, chain: list) -> tuple[model.Clause, ...]:
        out = []
        for node in (n for n in nodes if applies(n, self.branch)):
            num = self.number("clause", parent, chain)
            here = chain + [(num.level, num.label)]
            items = []
            for item in node.items:
                if isinstance(item, schema.ListItem):
                    if not applies(item, self.branch):
                        continue
                    item = item.text
                items.append(model.Item(self.number("item", num.level, here), self.inline(item)))
            out.append(
                model.Clause(
                    id=node.id,
                    number=num,
                    title=self.title(node.title),
                    text=self.clause_text(node),
                    items=tuple(items),
                    table=self.table(node.table),
                    note=self.inline(node.note) if node.note else None,
                    clauses=self.clauses(node.clauses, num.level, here),
                    changed=node.id in self.marked,
                )
            )
        return tuple(out)

    def clause_text(self, node: schema.Clause) -> tuple[model.Paragraph, ...]:
        """A clause's text; for a Traditional branch its hand-written text_hant, if any."""
        if self.traditional and node.text_hant is not None:
            self.handwritten.add(node.id)
            return self.paragraphs(node.text_hant)
        return self.paragraphs(node.text)

    def table(self, src) -> model.Table | None:
        if src is None:
            return None
        if isinstance(src, schema.ApprovalChainTable):
            steps = self.branch.approval_chain
            return model.Table(
                columns=("审批层级", "审批人", "办理时限"),
                rows=tuple(
                    (
                        (model.Span(f"第{numbering.chinese_numeral(i)}级"),),
                        (model.Span(s.role),),
                        (model.Span(f"{s.days}个工作日内"),),
                    )
                    for i, s in enumerate(steps, 1)
                ),
            )
        return model.Table(
            columns=tuple(self.text(c) for c in src.columns),
            rows=tuple(tuple(self.inline(cell) for cell in row) for row in src.rows),
        )

    def form_field(self, src: schema.FormFieldSrc) -> model.FormField:
        example = None
        row_examples: tuple = ()
        if src.type == "rows":
            row_examples = tuple(
                tuple(self.text(str(row.get(col.id, ""))) for col in src.columns)
                for row in (src.example or [])
            )
        elif src.example is not None:
            example = self.text(str(src.example))
        return model.FormField(
            id=src.id,
            label=self.text(src.label),
            type=src.type,
            required=src.required,
            options=tuple(self.option(o) for o in src.options),
            help=self.text(src.help),
            example=example,
            rows=src.rows or (5 if src.type == "rows" else 0),
            columns=tuple(self.form_field(c) for c in src.columns),
            row_examples=row_examples,
            compute=_compute(src.compute),
        )

    def form(self, src: schema.FormSrc) -> model.Form:
        return model.Form(
            id=src.id,
            code=src.code,
            title=self.title(src.title),
            title_en=self.title(src.title_en),
            purpose=self.inline(src.purpose),
            instructions=tuple(self.inline(i) for i in src.instructions),
            fields=tuple(self.form_field(f) for f in src.fields),
            clause_id=src.clause if src.clause in self.labels else None,
            clause_label=self.labels.get(src.clause) if src.clause else None,
            approval_chain=self.chain() if src.approval else (),
        )

    def chain(self) -> tuple[model.ApprovalStep, ...]:
        return tuple(model.ApprovalStep(s.role, s.days) for s in self.branch.approval_chain)


def resolve(
    manual: Manual,
    branch_id: str,
    source_revision: str = "",
    *,
    change_marks: bool = True,
    draft: bool = False,
) -> model.Document:
    """The concrete document for one branch. change_marks: mark what the newest revision in
    revisions.yaml lists under `changes` as 本次修订. draft: keep the 待确认 marks as highlighted
    spans (the published handbook prints their values plainly)."""
    branch = manual.branch(branch_id)
    marked = (
        frozenset(manual.revisions[-1].changes)
        if change_marks and manual.revisions
        else frozenset()
    )
    r = _Resolver(manual, branch, marked, draft)
    r.number_all(manual.chapters)
    meta = manual.meta
    document = model.Document(
        meta=model.Meta(
            title=meta.title,
            title_en=meta.title_en,
            company=meta.company,
            company_en=meta.company_en,
            doc_number=meta.doc_number,
            version=meta.version,
            effective_date=meta.effective_date,
            issuer=meta.issuer,
            approver=meta.approver,
            confidentiality=meta.confidentiality,
            page_size=meta.page.size,
            margins_mm=(
                meta.page.margin_top_mm,
                meta.page.margin_right_mm,
                meta.page.margin_bottom_mm,
                meta.page.margin_left_mm,
            ),
            body_font=meta.fonts.body,
            heading_font=meta.fonts.heading,
            font_size_pt=meta.fonts.size_pt,
            numbering=meta.numbering,
            xlsx_password=meta.xlsx_password,
        ),
        branch=model.BranchInfo(
            id=branch.id,
            name=branch.name,
            name_en=branch.name_en,
            kind=branch.kind,
            region=branch.region,
            address=branch.address,
            phone=branch.phone,
            manager=branch.manager,
            manager_title=branch.manager_title,
            script=scripts.canonical(branch.script),
            approval_chain=r.chain(),
        ),
        revisions=tuple(
            model.Revision(v.version, v.date, v.author, v.approver, v.summary)
            for v in manual.revisions
        ),
        chapters=r.sections(manual.chapters, 0, []),
        forms=tuple(r.form(f) for f in manual.forms),
        lang=fonts.lang_tag(branch.script),
        source_revision=source_revision,
        draft=draft,
    )
    if not r.traditional:
        return document
    # A Traditional branch: the resolved document converted (builder.document.script).
    glossary = scripts.glossary_for(branch.script, meta.glossary)
    document = replace(document, glossary=glossary)
    conv = scripts.converter(branch.script, glossary)
    return scripts.convert_document(document, conv, frozenset(r.handwritten))

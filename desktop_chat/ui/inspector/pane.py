"""The memory inspector: what the next request holds and why, why a reply said what it did, and the memory itself.

Sections, top to bottom: "Next request" (the plan of the open chat's ``ChatState``,
``ui/state/chat_state.py``: the one preview of the draft, made once typing pauses and
whenever memory, settings or the chat change; the composer and the chat show the same
plan), "Why this reply" (the plan stored with the selected reply), "Facts",
"Summary", "Strategy". Clicking a part selects its source
messages in the chat; the chat's "not in context" marker opens the part or
omission that explains it. Every number comes from the workspace; nothing here
plans on its own.
"""

from __future__ import annotations

import contextlib
from functools import partial
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QFrame, QScrollArea, QVBoxLayout, QWidget

from desktop_chat.core.errors import DesktopChatError
from desktop_chat.core.events import Failed, Finished, Stopped
from desktop_chat.core.models import ContextPlan, MessageStatus, PartKind, Role
from desktop_chat.ui.inspector.costs import CostsView
from desktop_chat.ui.inspector.facts import FactsView
from desktop_chat.ui.inspector.memory import SummaryView
from desktop_chat.ui.inspector.plan import OMITTED, PART, NextRequestView, WhyReplyView, attachment_names
from desktop_chat.ui.inspector.section import Section
from desktop_chat.ui.inspector.strategy import StrategyView
from desktop_chat.ui.signal_types import ID
from desktop_chat.ui.state.chat_state import ChatState, WhatIf
from desktop_chat.ui.wheel_guard import guard_wheel

SUMMARISED_SHOWN = 200  # at most this many summarised messages are selected in the chat


class InspectorPane(QWidget):
    showMessages = Signal(object)  # message ids of the open chat to select and scroll to
    openMessage = Signal(ID, ID)  # session id, message id (a fact's source may be in another chat)
    notice = Signal(str)

    def __init__(self, state: ChatState | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Memory inspector")
        self.setToolTip("What the next request to the model will contain, and the memory behind it")
        self._workspace: Any = None
        self.session_id: int | None = None
        self._why_message: Any = None  # the reply "Why this reply" shows (a Message), to follow its versions
        # The open chat's draft and plan (the window's); on its own, the pane makes one in attach().
        self.state = state if state is not None else ChatState(parent=self)
        self.state.sessionChanged.connect(self.set_session)
        self.state.planChanged.connect(self._show_plan)

        # The sections are made by build(): once the window's last chat shows (the launcher), or when first
        # needed. Until then the pane is an empty scroll area; what arrives meanwhile (the workspace, the open
        # chat) is kept and shown by build(). Their widgets cost ~15-25 ms the first screen does not wait for.
        self._built = False
        self._content = content = QWidget()
        self._column = QVBoxLayout(content)
        self._column.setContentsMargins(8, 6, 8, 8)
        self._column.setSpacing(2)
        self._column.addStretch(1)
        self.area = QScrollArea()
        self.area.setWidget(content)
        self.area.setWidgetResizable(True)
        self.area.setFrameShape(QFrame.Shape.NoFrame)
        self.area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.area.setAccessibleName("Memory inspector sections")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.area)

    def build(self) -> None:
        """Make the sections (once) and show in them what the pane was given so far."""
        if self._built:
            return
        self._built = True
        self._views = (NextRequestView(), WhyReplyView(), FactsView(), SummaryView(), StrategyView(), CostsView())
        self._sections = {
            "next": Section("Next request", self.next_request, "What the next message will be sent with"),
            "costs": Section("Costs", self.costs, "What the next request, this chat and this month cost"),
            "why": Section("Why this reply", self.why, "The request that produced the selected reply"),
            "facts": Section("Facts", self.facts, "What the bot remembers about you"),
            "summary": Section("Summary", self.summary, "The running summary of this chat"),
            "strategy": Section("Strategy", self.strategy, "How this chat's memory chooses what to send"),
        }
        self.next_request.recordActivated.connect(self._record_activated)
        self.why.recordActivated.connect(self._record_activated)
        self.facts.openMessage.connect(self._open_source)
        self.strategy.previewChanged.connect(self._try_strategy)
        for noisy in (self.facts, self.summary, self.strategy):
            noisy.notice.connect(self.notice)
        for index, section in enumerate(self._sections.values()):
            self._column.insertWidget(index, section)
            section.show()  # at once: a widget added to a shown pane would show only on the next event
        guard_wheel(self)  # scrolling the pane never changes the strategy or an option
        # Never narrower than its sections: the pane has no sideways scroll bar, so they would be cut.
        self.setMinimumWidth(self._content.minimumSizeHint().width() + self.area.verticalScrollBar().sizeHint().width())
        if self._workspace is not None:
            self._use_workspace(self._workspace)
        if self.session_id is not None:
            self.set_session(self.session_id)
        if self.state.plan is not None:
            self._show_plan(self.state.plan)

    def _use_workspace(self, workspace: Any) -> None:
        self.next_request.tree.name_of = self.why.tree.name_of = attachment_names(workspace)
        for view in (self.facts, self.summary, self.strategy, self.costs):
            view.set_workspace(workspace)

    @property
    def built(self) -> bool:
        return self._built

    # The views exist once built; reading one builds them (tests, the window's own calls).
    @property
    def next_request(self) -> NextRequestView:
        self.build()
        return self._views[0]

    @property
    def why(self) -> WhyReplyView:
        self.build()
        return self._views[1]

    @property
    def facts(self) -> FactsView:
        self.build()
        return self._views[2]

    @property
    def summary(self) -> SummaryView:
        self.build()
        return self._views[3]

    @property
    def strategy(self) -> StrategyView:
        self.build()
        return self._views[4]

    @property
    def costs(self) -> CostsView:
        self.build()
        return self._views[5]

    @property
    def sections(self) -> dict[str, Section]:
        self.build()
        return self._sections

    # The plan, the draft and the what-if are the state's; these read it (tests and the benchmark do).
    @property
    def plan(self) -> ContextPlan | None:
        return self.state.plan

    @property
    def draft(self) -> str:
        return self.state.draft

    @property
    def what_if(self) -> WhatIf | None:
        return self.state.what_if

    @property
    def refresh_ms(self) -> list[float]:
        return self.state.refresh_ms

    @property
    def parts(self) -> Any:
        """The tree of the next request's parts (kept from the placeholder pane, which tests read)."""
        return self.next_request.tree

    # --- wiring ------------------------------------------------------------------------------

    def attach(self, workspace: Any, bridge: Any = None) -> None:
        """Use ``workspace``; with the window's bridge, follow memory, settings, upkeep and replies."""
        self._workspace = workspace
        if self._built:
            self._use_workspace(workspace)
        if self.state.parent() is self:  # on its own (the benchmark): plan at once through the workspace
            self.state.set_preview(workspace.preview)
            self.state.ready = True
        if bridge is not None:
            bridge.memoryChanged.connect(self._memory_changed)  # settings and other processes' writes too
            bridge.sessionChanged.connect(self._session_changed)
            bridge.upkeepChanged.connect(self._upkeep_changed)
            bridge.replyEnded.connect(self._reply_ended)
            bridge.messagesChanged.connect(self._messages_changed)
            # Another process (a CLI `facts edit`, an import) may have changed the memory shown here.
            bridge.externalChange.connect(self._external_change)

    @Slot(object)
    def set_session(self, session_id: int | None) -> None:
        """Show the chat ``session_id``: its facts, summary and strategy (its plan comes from the state)."""
        if session_id != self.state.session_id:
            self.state.set_session(session_id)  # plans, and calls back here (sessionChanged)
            return
        self.session_id = session_id
        if not self._built:
            return  # build() shows it
        self.why.clear()
        self._why_message = None
        self.sections["why"].aside.clear()  # it named the other chat's reply
        workspace = self._workspace
        if workspace is None or session_id is None:
            return
        try:
            session = workspace.session(session_id)
        except DesktopChatError as exc:
            self.notice.emit(str(exc))
            return
        self.strategy.set_session(session)
        self.facts.set_session(session_id)
        self.summary.set_session(session_id)
        self.costs.set_session(session_id)
        self._show_last_reply()

    def set_draft(self, text: str) -> None:
        """The draft changed (the window's composer tells the state itself): plan again once typing pauses."""
        self.state.set_draft(text)

    # --- the next request ----------------------------------------------------------------------

    def _approx(self) -> bool:
        """Counts are estimates ("≈") until the provider's usage confirms them, or when that cannot be told."""
        if self._workspace is None:
            return True
        try:
            return not bool(self._workspace.calibrated(self.session_id))
        except DesktopChatError:
            return True

    def refresh_plan(self) -> ContextPlan | None:
        """Plan now (the state's one preview; every subscriber shows it)."""
        return self.state.refresh()

    @Slot(object)
    def _show_plan(self, plan: ContextPlan | None) -> None:
        if not self._built:
            return  # build() shows the state's plan
        self.costs.set_plan(plan)
        if plan is None:
            self.next_request.set_plan(None, approx=True, note=self.state.error)
            return
        approx = self._approx()
        note = ""
        if not self.draft.strip() and not self.state.attachments and plan.parts:
            if plan.draft_tokens:
                note = "Your next message is still empty: type it to see it counted and what recall finds for it."
            else:
                note = "Your last message has no reply yet: this is the request that would answer it (Retry)."
        if self.what_if is not None:
            note = f"Preview with the {self.what_if[0]} strategy: not applied yet (Apply in Strategy below)."
        self.next_request.set_plan(plan, approx=approx, note=note)
        self.sections["next"].aside.setText(f"{'≈' if approx else ''}{plan.total_tokens:,}/{plan.budget:,}")

    @Slot(object)
    def _try_strategy(self, pending: WhatIf | None) -> None:
        self.state.set_what_if(pending)

    def _show_last_reply(self) -> None:
        workspace, session_id = self._workspace, self.session_id
        self.next_request.set_last_reply(None, None)
        with contextlib.suppress(DesktopChatError):
            for message in reversed(workspace.messages(session_id, limit=4)):
                if message.role is Role.ASSISTANT:
                    stored = workspace.reply_plan(message.id)
                    if stored is not None:
                        usage = message.usage
                        self.next_request.set_last_reply(
                            stored.total_tokens,
                            usage.prompt_tokens if usage is not None else None,
                            stopped=message.status is MessageStatus.STOPPED,
                        )
                    return

    # --- provenance ------------------------------------------------------------------------------

    @Slot(str, object)
    def _record_activated(self, which: str, record: Any) -> None:
        ids = self.source_ids(record)
        if ids:
            self.showMessages.emit(ids)
        elif which == PART and record.kind is PartKind.SYSTEM_PROMPT:
            self.notice.emit("The system prompt is this chat's setting (the header's Instructions), not a message")
        elif which == PART and record.kind is PartKind.INSTRUCTIONS:
            self.notice.emit("Your custom instructions are a setting (Settings → Instructions), not a message")
        elif which == PART and record.kind is PartKind.TOOLS:
            self.notice.emit("The tools offered: see Settings → Tools")
        else:
            self.notice.emit("Nothing of it is in this chat's messages")

    def source_ids(self, record: Any) -> list[int]:
        """The chat messages a part or omission came from (a facts part: where its facts were found)."""
        workspace = self._workspace
        if record.message_ids:
            return list(record.message_ids)
        if record.fact_ids and workspace is not None:
            found = []
            for fact_id in record.fact_ids:
                with contextlib.suppress(DesktopChatError):
                    source = workspace.fact(fact_id).source_message_id
                    if source is not None:
                        found.append(source)
            return found
        through = getattr(record, "summary_through", None)
        if through is not None and workspace is not None and self.session_id is not None:
            with contextlib.suppress(DesktopChatError):
                return [m.id for m in workspace.messages(self.session_id, before=through + 1, limit=SUMMARISED_SHOWN)]
        return []

    def explain_message(self, message_id: int) -> Any:
        """The chat's "not in context" marker was clicked: open and select what explains it; returns that record."""
        plan = self.plan
        if plan is None:
            plan = self.refresh_plan()
        if plan is None:
            return None
        found: tuple[str, Any] | None = None
        for omission in plan.omitted:
            if message_id in omission.message_ids:
                found = (OMITTED, omission)
                break
        if found is None:
            for part in plan.parts:
                through = part.summary_through
                if part.kind is PartKind.SUMMARY and through is not None and message_id <= through:
                    found = (PART, part)
                    break
        if found is None:
            # A long run of left-out messages is one omission described as a range, without ids.
            ranges = [o for o in plan.omitted if o.kind is PartKind.RECENT and not o.message_ids]
            if ranges:
                found = (OMITTED, ranges[0])
        if found is None:
            return None
        section = self.sections["next"]
        section.set_open(True)
        item = self.next_request.item_for(*found)
        if item is not None:
            self.next_request.tree.setCurrentItem(item)
            item.setFocus()
            QTimer.singleShot(0, partial(self.area.ensureWidgetVisible, item, 0, 40))
        return found[1]

    @Slot(ID)
    def _open_source(self, message_id: int) -> None:
        workspace = self._workspace
        if workspace is None:
            return
        found = workspace.messages_by_id([message_id]).get(message_id)
        if found is None:
            self.notice.emit("That message no longer exists")
            return
        self.openMessage.emit(found.session_id, message_id)

    # --- why this reply --------------------------------------------------------------------------

    def show_reply(self, message_id: int, *, reveal: bool = True) -> bool:
        """A message was selected in the chat: for a reply, show the request that produced it."""
        workspace = self._workspace
        if workspace is None:
            return False
        try:
            message = workspace.message(message_id)
        except DesktopChatError:
            return False
        if message.role is not Role.ASSISTANT:
            return False
        stored = workspace.reply_plan(message_id)
        facts: dict[int, Any] = {}
        for fact_id in stored.fact_ids if stored is not None else ():
            with contextlib.suppress(DesktopChatError):
                facts[fact_id] = workspace.fact(fact_id)
        self.why.show_reply(message, stored, facts)
        self._why_message = message
        section = self.sections["why"]
        section.aside.setText(f"reply #{message_id}")
        if reveal:
            section.set_open(True)
            QTimer.singleShot(0, partial(self.area.ensureWidgetVisible, section, 0, 0))
        return True

    def _follow_reply(self) -> None:
        """The chat's messages changed: a reply regenerated, another version chosen or deleted leaves the one
        shown off the branch; show the version in its place (the core's rule), else nothing.

        The place is kept while nothing is in it: a regenerated reply's old version leaves the branch before
        the new one is written, and the section shows the new one once it is there."""
        shown, workspace = self._why_message, self._workspace
        if shown is None or workspace is None:
            return
        try:
            now = workspace.chats.in_place_of(shown)
        except DesktopChatError:
            now = None
        if now is not None and now == self.why.message_id:
            return
        if now is None or not self.show_reply(now, reveal=False):
            self.why.message_id = None
            self.why.clear()
            self.sections["why"].aside.clear()

    # --- events ------------------------------------------------------------------------------------

    @Slot(object)
    def _memory_changed(self, session_id: Any) -> None:
        if not self._built:
            return  # nothing shown yet: build() reads it all afresh
        if self.session_id is None or (session_id is not None and session_id != self.session_id):
            return
        self.facts.refresh()
        self.summary.refresh()
        self.strategy.show_inherited_cap()  # the settings or the profile's cap may have changed

    @Slot(ID)
    def _messages_changed(self, session_id: int) -> None:
        if not self._built:
            return  # nothing shown yet: build() reads it all afresh
        if session_id == self.session_id:
            self._follow_reply()

    @Slot()
    def _external_change(self) -> None:
        self._memory_changed(None)  # another process (a CLI `facts edit`, an import) may have changed it

    @Slot(object)
    def _session_changed(self, session: Any) -> None:
        if not self._built:
            return  # nothing shown yet: build() reads it all afresh
        if session.id == self.session_id and self.what_if is None:
            self.strategy.set_session(session)
            self.summary.show_upkeep()

    @Slot(ID, bool)
    def _upkeep_changed(self, session_id: int, running: bool) -> None:
        if not self._built:
            return  # nothing shown yet: build() reads it all afresh
        if session_id == self.session_id:
            self.summary.set_running(running)
            if not running:
                self.summary.refresh()
                self.costs.refresh()  # upkeep's requests are counted

    @Slot(object)
    def _reply_ended(self, event: Finished | Stopped | Failed) -> None:
        if not self._built:
            return  # nothing shown yet: build() reads it all afresh
        if isinstance(event, Stopped) and event.message.session_id == self.session_id:
            self._show_last_reply()  # a stopped reply has no usage: its estimate, said as such
        ended_in = event.session_id if isinstance(event, Failed) else event.message.session_id
        if ended_in == self.session_id:
            self.costs.refresh()  # a stopped or failed reply may have cost something too
        if not isinstance(event, Finished) or event.message.session_id != self.session_id:
            return
        usage = event.usage
        self.next_request.set_last_reply(
            event.estimated_prompt_tokens, usage.prompt_tokens if usage is not None else None
        )
        if self.why.message_id == event.message.id:
            self.show_reply(event.message.id)

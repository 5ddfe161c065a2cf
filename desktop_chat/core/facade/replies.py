"""Replies: send, retry, regenerate, edit-and-resend, stop; which chats are busy; where a request goes and why."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence

from desktop_chat.core.controller.branches import recover_interrupted
from desktop_chat.core.controller.targets import Target
from desktop_chat.core.events import MessagesChanged, ReplyEvent
from desktop_chat.core.facade.context import Context
from desktop_chat.core.locality import is_local_profile
from desktop_chat.core.models import Attachment, Message, ReplyPlan, Strategy
from desktop_chat.core.providers.local.builtin import builtin_model_name


class RepliesFacade:
    """``workspace.replies``: entry points of the reply engine (the controller); a reply's progress comes from
    the async generator the caller iterates, its effects (messages, upkeep, title) as channel events."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def send(
        self,
        session_id: int,
        text: str,
        *,
        model: str | None = None,
        strategy: Strategy | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> AsyncGenerator[ReplyEvent, None]:
        """Save ``text`` as the user's next message and stream the reply (see ``ConversationController.send``).

        ``attachments``: files kept by ``workspace.attachments.add``, sent with the message."""
        return self._ctx.controller.send(session_id, text, model=model, strategy=strategy, attachments=attachments)

    def retry(
        self, session_id: int, *, model: str | None = None, strategy: Strategy | None = None
    ) -> AsyncGenerator[ReplyEvent, None]:
        return self._ctx.controller.retry(session_id, model=model, strategy=strategy)

    def regenerate(
        self, session_id: int, *, model: str | None = None, strategy: Strategy | None = None
    ) -> AsyncGenerator[ReplyEvent, None]:
        return self._ctx.controller.regenerate(session_id, model=model, strategy=strategy)

    def edit_and_resend(
        self,
        session_id: int,
        message_id: int,
        text: str,
        *,
        model: str | None = None,
        strategy: Strategy | None = None,
    ) -> AsyncGenerator[ReplyEvent, None]:
        return self._ctx.controller.edit_and_resend(session_id, message_id, text, model=model, strategy=strategy)

    def stop(self, session_id: int | None = None) -> bool:
        return self._ctx.controller.stop(session_id)

    def is_busy(self, session_id: int) -> bool:
        return self._ctx.is_streaming(session_id)

    def recover_interrupted(self, session_id: int | None = None) -> list[Message]:
        """Mark replies a crash left streaming as stopped, keeping their text. Call at start."""
        # Without the reply engine when none exists yet (the window's start): then nothing streams here.
        if self._ctx.engine_started:
            recovered = self._ctx.controller.recover_interrupted(session_id)
        else:
            recovered = recover_interrupted(self._ctx.store, session_id, busy=lambda _sid: False)
        for sid in sorted({m.session_id for m in recovered}):
            self._ctx.channel.publish(MessagesChanged(sid))
        return recovered

    def reply_orphaned(self, session_id: int) -> bool:
        """Whether a reply stored as streaming in this chat has no writer left.

        Not when this process answers there, nor while another process holds a live
        claim on the chat (it is streaming it right now).
        """
        return not self.is_busy(session_id) and not self._ctx.store.claims.held_elsewhere(session_id)

    def target(self, session_id: int | None = None) -> Target:
        """The profile and model the chat's next request goes to (the active profile's without a chat)."""
        settings = self._ctx.settings
        if session_id is None:
            profile = settings.profile()
            return Target(profile, builtin_model_name(settings) if profile.is_builtin else profile.default_model)
        return self._ctx.target(self._ctx.session(session_id), settings)

    def target_is_local(self, session_id: int | None = None) -> bool:
        """Whether the chat's next request stays on this machine (so its private facts go in)."""
        return is_local_profile(self.target(session_id).profile)

    def calibrated(self, session_id: int | None = None) -> bool:
        """Whether the provider's usage has confirmed our token counts for the chat's model in this run."""
        if not self._ctx.engine_started:
            return False  # calibrations come from replies' usage, and no reply ran yet
        return self._ctx.controller.calibrations.get(self.target(session_id).model).samples > 0

    def reply_plan(self, message_id: int) -> ReplyPlan | None:
        """The plan reply ``message_id`` was made from (ids and counts); None for replies older than plans."""
        return self._ctx.store_for_message(message_id).reply_plans.get(message_id)

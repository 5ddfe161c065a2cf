"""The Providers page's form: one profile's name, address, key, models and reply settings.

It shows a ``Draft`` and writes the edits back to it (``show``, ``store``); the page around it
keeps the list of drafts, adds and removes them, saves them and tests the connection.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QWidget,
)

from desktop_chat.core.profiles import LOCAL_PRESET
from desktop_chat.ui.settings.drafts import Draft, preset_choices
from desktop_chat.ui.settings.fields import Field, key_file_box, keyring_note, line_edit
from desktop_chat.ui.settings.local import LocalModelFields


class ProfileForm(QWidget):
    """The selected profile's fields; the built-in model's own settings replace URL, key and window."""

    def __init__(self, workspace: Any, parent: QWidget | None = None) -> None:  # noqa: PLR0915 - one line per control
        super().__init__(parent)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.fields: dict[str, Field] = {}
        self.name_edit = line_edit()
        self.fields["name"] = Field(form, "Name:", self.name_edit, tip="The profile's name; its key is stored under it")
        self.preset_label = QLabel()
        self.preset_label.setAccessibleName("Preset")
        self.preset_label.setToolTip("The preset this profile started from")
        form.addRow("Preset:", self.preset_label)
        self.url_edit = line_edit("OpenAI's API (or OPENAI_BASE_URL)")
        self.fields["base_url"] = Field(
            form,
            "Base URL:",
            self.url_edit,
            tip="The server's OpenAI-compatible API address, usually ending in /v1",
            explain="Empty: OpenAI's API. Local servers: e.g. http://localhost:11434/v1 (Ollama).",
        )
        self.needs_key = QCheckBox("The server needs an API key")
        self.fields["needs_key"] = Field(
            form, "", self.needs_key, tip="Local servers need none: no key is ever sent to a profile that needs none"
        )
        self.key_edit = QLineEdit()
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText("Type a new key to store it")
        self.fields["key"] = Field(
            form,
            "API key:",
            self.key_edit,
            tip="Stored in the system keyring when you save; a stored key is never shown",
        )
        self.key_status = QLabel()
        self.key_status.setAccessibleName("Where the key comes from")
        self.key_status.setToolTip("Where this profile's key comes from; the key itself is never shown")
        self.key_status.setWordWrap(True)
        form.addRow("", self.key_status)
        self.key_file, self.keyring_note = key_file_box(), keyring_note()
        self.use_env_key = QCheckBox("Also send OPENAI_API_KEY to this server")
        self.fields["use_env_key"] = Field(
            form, "", self.use_env_key, tip="Only for a server that takes your OpenAI key; OpenAI's API always gets it"
        )
        for row in (self.key_file, self.keyring_note):
            form.addRow("", row)
        # The built-in model has no URL or key: its own settings take their place.
        self.local = LocalModelFields(workspace)
        form.addRow(self.local)
        self.model_box = QComboBox()
        self.model_box.setEditable(True)
        self.fetch_button = QToolButton()
        self.fetch_button.setText("Fetch list")
        self.fetch_button.setAccessibleName("Fetch the models")
        self.fetch_button.setToolTip("Ask the server which models it has")
        model_row = QWidget()
        model_layout = QHBoxLayout(model_row)
        model_layout.setContentsMargins(0, 0, 0, 0)
        model_layout.addWidget(self.model_box, 1)
        model_layout.addWidget(self.fetch_button)
        model_row.setAccessibleName("Model and its list")
        self.fields["default_model"] = Field(
            form,
            "Model:",
            self.model_box,
            tip="The model that answers; pick one from the server's list or type its name",
            explain="Type the name if the server does not list its models.",
            container=model_row,
        )
        self.summary_box = QComboBox()
        self.summary_box.setEditable(True)
        self.fields["summary_model"] = Field(
            form,
            "Upkeep model:",
            self.summary_box,
            tip="The model that writes summaries, extracts facts and names chats",
            explain="Writes summaries, extracts facts, names chats; a cheaper one will do. Empty: the model above.",
        )
        self.window_edit = line_edit("the model's known size")
        self.fields["context_window"] = Field(
            form,
            "Context window:",
            self.window_edit,
            tip="How many tokens the model reads at once (needed for local models)",
            explain="Tokens the model can read; empty: known for OpenAI models, else a guess.",
        )
        self.temperature_edit = line_edit("the server's default")
        self.fields["temperature"] = Field(
            form,
            "Temperature:",
            self.temperature_edit,
            tip="0 to 2: lower answers more predictably, higher more varied",
            explain="0 to 2; empty: the server's default.",
        )
        self.max_reply_edit = line_edit("no cap")
        self.fields["max_reply_tokens"] = Field(
            form,
            "Max reply tokens:",
            self.max_reply_edit,
            tip="The longest reply the model may write (sent as max_completion_tokens to OpenAI, max_tokens elsewhere)",
            explain="A cap on each reply; empty: the server's own limit.",
        )
        self.request_cap_edit = line_edit("the setting's (Memory page)")
        self.fields["max_request_tokens"] = Field(
            form,
            "Request cap:",
            self.request_cap_edit,
            tip="The most tokens one request to this profile may use; over the Memory page's cap, under a chat's own",
            explain="Most tokens per request for this profile; empty: the Memory page's; window: no cap.",
        )
        self.price_in_edit = line_edit("the known price")
        self.fields["input_price"] = Field(
            form,
            "Price in ($/M):",
            self.price_in_edit,
            tip="US dollars per million prompt tokens, over the known price; set both prices or neither",
            explain="Your price per million tokens, over the known one. Empty: the known price; local servers: free.",
        )
        self.price_out_edit = line_edit("the known price")
        self.fields["output_price"] = Field(
            form, "Price out ($/M):", self.price_out_edit, tip="US dollars per million reply tokens"
        )
        self.test_button = QPushButton("Test connection")
        self.test_button.setAccessibleName("Test connection")
        self.test_button.setToolTip("Ask the server for its models with this URL and key; spends no tokens")
        self.test_result = QLabel()
        self.test_result.setWordWrap(True)
        self.test_result.setAccessibleName("Connection test result")
        self.test_result.setToolTip("What the server answered")
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.test_result, 1)
        form.addRow("", test_row)
        self._form = form
        self.setLayout(form)

    def show_draft(self, draft: Draft) -> None:
        """Fill every field from ``draft`` (errors and the last test's answer cleared)."""
        for each in self.fields.values():
            each.clear_error()
        self.test_result.clear()
        values = draft.values
        self.name_edit.setText(str(values["name"]))
        self.preset_label.setText(
            dict((p, label) for label, p in preset_choices()).get(str(values["preset"]), "Custom")
        )
        self.url_edit.setText(str(values["base_url"]))
        self.needs_key.setChecked(bool(values["needs_key"]))
        self.use_env_key.setChecked(bool(values["use_env_key"]))
        self.key_edit.setText(draft.key)
        self.key_edit.setEnabled(bool(values["needs_key"]))
        self.show_models(draft.models, current=(str(values["default_model"]), str(values["summary_model"])))
        self.window_edit.setText(str(values["context_window"]))
        self.show_rows(builtin=values["preset"] == LOCAL_PRESET)
        self.temperature_edit.setText(str(values["temperature"]))
        self.max_reply_edit.setText(str(values["max_reply_tokens"]))
        self.request_cap_edit.setText(str(values["max_request_tokens"]))
        self.price_in_edit.setText(str(values["input_price"]))
        self.price_out_edit.setText(str(values["output_price"]))
        self.key_status.setText(draft.key_status)

    def show_models(self, models: list[str], *, current: tuple[str, str] | None = None) -> None:
        """The server's models in both model boxes; each keeps its text (or takes ``current``'s)."""
        texts = current or (self.model_box.currentText(), self.summary_box.currentText())
        for box, text in zip((self.model_box, self.summary_box), texts, strict=True):
            box.clear()
            box.addItems(models)
            box.setCurrentText(text)

    def store(self, draft: Draft) -> None:
        """Keep what the form shows in ``draft``."""
        draft.values.update(
            name=self.name_edit.text(),
            base_url=self.url_edit.text(),
            default_model=self.model_box.currentText(),
            summary_model=self.summary_box.currentText(),
            context_window=self.window_edit.text(),
            temperature=self.temperature_edit.text(),
            max_reply_tokens=self.max_reply_edit.text(),
            max_request_tokens=self.request_cap_edit.text(),
            input_price=self.price_in_edit.text(),
            output_price=self.price_out_edit.text(),
            needs_key=self.needs_key.isChecked(),
            use_env_key=self.use_env_key.isChecked(),
        )
        draft.key = self.key_edit.text()

    def show_rows(self, *, builtin: bool) -> None:
        """The built-in profile: its model file, threads and context size instead of URL, key and window."""
        for name in ("base_url", "needs_key", "key", "use_env_key", "context_window"):
            self._form.setRowVisible(self.fields[name].row, not builtin)
        for row in (self.key_status, self.key_file):
            self._form.setRowVisible(row, not builtin)
        self._form.setRowVisible(self.local, builtin)

    def mark(self, errors: dict[str, str]) -> None:
        for name, each in self.fields.items():
            each.show_error(errors.get(name, ""))

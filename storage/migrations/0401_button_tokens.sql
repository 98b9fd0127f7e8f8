-- Button tokens are not Telegram's alone: any platform that limits the data
-- a button carries stores longer data here under a short token. The table
-- keeps its rows under the new name.
ALTER TABLE telegram_buttons RENAME TO button_tokens;

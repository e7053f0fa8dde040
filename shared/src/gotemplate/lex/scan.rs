//! The lexer's states, one method each: text, delimiters and comments, the inside of an
//! action, and the tokens found there (identifiers, fields, variables, chars, numbers, strings).

use super::{
    ItemType, LEFT_COMMENT, LEFT_DELIM, Lexer, Next, RIGHT_COMMENT, RIGHT_DELIM, SPACE_CHARS, State,
    has_left_trim_marker, has_right_trim_marker, is_alnum, is_space, keyword, sharp_u,
};

impl<'a> Lexer<'a> {
    pub(super) fn lex_text(&mut self) -> Next {
        if let Some(x) = self.rest().find(LEFT_DELIM) {
            if x > 0 {
                self.pos += x;
                let mut trim_length = 0;
                let delim_end = self.pos + LEFT_DELIM.len();
                if has_left_trim_marker(self.input.get(delim_end..).unwrap_or_default()) {
                    let text = self.slice(self.start, self.pos);
                    trim_length = text.len() - text.trim_end_matches(SPACE_CHARS).len();
                }
                self.pos -= trim_length;
                self.line += self.slice(self.start, self.pos).matches('\n').count();
                let item = self.this_item(ItemType::Text);
                self.pos += trim_length;
                self.ignore();
                if !item.val.is_empty() {
                    return self.emit_item(item);
                }
            }
            return Some(State::LeftDelim);
        }
        self.pos = self.input.len();
        if self.pos > self.start {
            self.line += self.slice(self.start, self.pos).matches('\n').count();
            return self.emit(ItemType::Text);
        }
        self.emit(ItemType::Eof)
    }

    /// Whether the input is at a right delimiter, and whether it has a trim marker.
    fn at_right_delim(&self) -> (bool, bool) {
        let rest = self.rest();
        if has_right_trim_marker(rest) && rest.get(2..).is_some_and(|r| r.starts_with(RIGHT_DELIM)) {
            return (true, true);
        }
        if rest.starts_with(RIGHT_DELIM) {
            return (true, false);
        }
        (false, false)
    }

    pub(super) fn lex_left_delim(&mut self) -> Next {
        self.pos += LEFT_DELIM.len();
        let trim_space = has_left_trim_marker(self.rest());
        let after_marker = if trim_space { 2 } else { 0 };
        if self.input.get(self.pos + after_marker..).is_some_and(|r| r.starts_with(LEFT_COMMENT)) {
            self.pos += after_marker;
            self.ignore();
            return Some(State::Comment);
        }
        let item = self.this_item(ItemType::LeftDelim);
        self.inside_action = true;
        self.pos += after_marker;
        self.ignore();
        self.paren_depth = 0;
        self.emit_item(item)
    }

    pub(super) fn lex_comment(&mut self) -> Next {
        self.pos += LEFT_COMMENT.len();
        let Some(x) = self.rest().find(RIGHT_COMMENT) else {
            return self.errorf("unclosed comment".to_string());
        };
        self.pos += x + RIGHT_COMMENT.len();
        let (delim, trim_space) = self.at_right_delim();
        if !delim {
            return self.errorf("comment ends before closing delimiter".to_string());
        }
        self.line += self.slice(self.start, self.pos).matches('\n').count();
        let _comment = self.this_item(ItemType::Comment);
        if trim_space {
            self.pos += 2;
        }
        self.pos += RIGHT_DELIM.len();
        if trim_space {
            let rest = self.rest();
            self.pos += rest.len() - rest.trim_start_matches(SPACE_CHARS).len();
        }
        self.ignore();
        Some(State::Text)
    }

    pub(super) fn lex_right_delim(&mut self) -> Next {
        let (_, trim_space) = self.at_right_delim();
        if trim_space {
            self.pos += 2;
            self.ignore();
        }
        self.pos += RIGHT_DELIM.len();
        let item = self.this_item(ItemType::RightDelim);
        if trim_space {
            let rest = self.rest();
            self.pos += rest.len() - rest.trim_start_matches(SPACE_CHARS).len();
            self.ignore();
        }
        self.inside_action = false;
        self.emit_item(item)
    }

    pub(super) fn lex_inside_action(&mut self) -> Next {
        let (delim, _) = self.at_right_delim();
        if delim {
            if self.paren_depth == 0 {
                return Some(State::RightDelim);
            }
            return self.errorf("unclosed left paren".to_string());
        }
        let Some(r) = self.next() else {
            return self.errorf("unclosed action".to_string());
        };
        match r {
            _ if is_space(r) => {
                self.backup();
                Some(State::Space)
            }
            '=' => self.emit(ItemType::Assign),
            ':' => {
                if self.next() != Some('=') {
                    return self.errorf("expected :=".to_string());
                }
                self.emit(ItemType::Declare)
            }
            '|' => self.emit(ItemType::Pipe),
            '"' => Some(State::Quote),
            '`' => Some(State::RawQuote),
            '$' => Some(State::Variable),
            '\'' => Some(State::Char),
            '.' => {
                if self.rest().as_bytes().first().is_some_and(|b| !b.is_ascii_digit()) {
                    return Some(State::Field);
                }
                self.backup();
                Some(State::Number)
            }
            '+' | '-' | '0'..='9' => {
                self.backup();
                Some(State::Number)
            }
            _ if is_alnum(r) => {
                self.backup();
                Some(State::Identifier)
            }
            '(' => {
                self.paren_depth += 1;
                self.emit(ItemType::LeftParen)
            }
            ')' => {
                if self.paren_depth == 0 {
                    return self.errorf("unexpected right paren".to_string());
                }
                self.paren_depth -= 1;
                self.emit(ItemType::RightParen)
            }
            _ if r.is_ascii() && crate::gotemplate::unicode::is_print(r) => self.emit(ItemType::Char),
            _ => self.errorf(format!("unrecognized character in action: {}", sharp_u(r))),
        }
    }

    pub(super) fn lex_space(&mut self) -> Next {
        let mut num_spaces = 0;
        while let Some(r) = self.peek() {
            if !is_space(r) {
                break;
            }
            self.next();
            num_spaces += 1;
        }
        let from = self.pos.saturating_sub(1);
        let tail = self.input.get(from..).unwrap_or_default();
        if has_right_trim_marker(tail) && tail.get(2..).is_some_and(|r| r.starts_with(RIGHT_DELIM)) {
            self.backup();
            if num_spaces == 1 {
                return Some(State::RightDelim);
            }
        }
        self.emit(ItemType::Space)
    }

    pub(super) fn lex_identifier(&mut self) -> Next {
        loop {
            let r = self.next();
            if r.is_some_and(is_alnum) {
                continue;
            }
            self.backup();
            let word = self.slice(self.start, self.pos);
            if !self.at_terminator() {
                return self.errorf(format!("bad character {}", r.map(sharp_u).unwrap_or_default()));
            }
            if let Some(k) = keyword(word).filter(|&k| k > ItemType::Keyword) {
                return self.emit(k);
            }
            if word.starts_with('.') {
                return self.emit(ItemType::Field);
            }
            if word == "true" || word == "false" {
                return self.emit(ItemType::Bool);
            }
            return self.emit(ItemType::Identifier);
        }
    }

    pub(super) fn lex_variable(&mut self) -> Next {
        if self.at_terminator() {
            return self.emit(ItemType::Variable);
        }
        self.lex_field_or_variable(ItemType::Variable)
    }

    pub(super) fn lex_field_or_variable(&mut self, typ: ItemType) -> Next {
        if self.at_terminator() {
            if typ == ItemType::Variable {
                return self.emit(ItemType::Variable);
            }
            return self.emit(ItemType::Dot);
        }
        let mut r;
        loop {
            r = self.next();
            if !r.is_some_and(is_alnum) {
                self.backup();
                break;
            }
        }
        if !self.at_terminator() {
            return self.errorf(format!("bad character {}", r.map(sharp_u).unwrap_or_else(|| sharp_u('\u{FFFD}'))));
        }
        self.emit(typ)
    }

    fn at_terminator(&mut self) -> bool {
        match self.peek() {
            None => true,
            Some(r) if is_space(r) => true,
            Some('.' | ',' | '|' | ':' | ')' | '(') => true,
            Some(_) => self.rest().starts_with(RIGHT_DELIM),
        }
    }

    pub(super) fn lex_char(&mut self) -> Next {
        loop {
            match self.next() {
                Some('\\') => {
                    if self.next().is_some_and(|r| r != '\n') {
                        continue;
                    }
                    return self.errorf("unterminated character constant".to_string());
                }
                None | Some('\n') => return self.errorf("unterminated character constant".to_string()),
                Some('\'') => break,
                Some(_) => {}
            }
        }
        self.emit(ItemType::CharConstant)
    }

    pub(super) fn lex_number(&mut self) -> Next {
        if !self.scan_number() {
            let text = crate::gotemplate::strconv::quote(self.slice(self.start, self.pos).as_bytes());
            return self.errorf(format!("bad number syntax: {text}"));
        }
        if let Some('+' | '-') = self.peek() {
            if !self.scan_number() || !self.slice(self.start, self.pos).ends_with('i') {
                let text = crate::gotemplate::strconv::quote(self.slice(self.start, self.pos).as_bytes());
                return self.errorf(format!("bad number syntax: {text}"));
            }
            return self.emit(ItemType::Complex);
        }
        self.emit(ItemType::Number)
    }

    fn scan_number(&mut self) -> bool {
        self.accept("+-");
        let mut digits = "0123456789_";
        if self.accept("0") {
            if self.accept("xX") {
                digits = "0123456789abcdefABCDEF_";
            } else if self.accept("oO") {
                digits = "01234567_";
            } else if self.accept("bB") {
                digits = "01_";
            }
        }
        self.accept_run(digits);
        if self.accept(".") {
            self.accept_run(digits);
        }
        if digits.len() == 10 + 1 && self.accept("eE") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        if digits.len() == 16 + 6 + 1 && self.accept("pP") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        self.accept("i");
        if self.peek().is_some_and(is_alnum) {
            self.next();
            return false;
        }
        true
    }

    pub(super) fn lex_quote(&mut self) -> Next {
        loop {
            match self.next() {
                Some('\\') => {
                    if self.next().is_some_and(|r| r != '\n') {
                        continue;
                    }
                    return self.errorf("unterminated quoted string".to_string());
                }
                None | Some('\n') => return self.errorf("unterminated quoted string".to_string()),
                Some('"') => break,
                Some(_) => {}
            }
        }
        self.emit(ItemType::String)
    }

    pub(super) fn lex_raw_quote(&mut self) -> Next {
        loop {
            match self.next() {
                None => return self.errorf("unterminated raw quoted string".to_string()),
                Some('`') => break,
                Some(_) => {}
            }
        }
        self.emit(ItemType::RawString)
    }
}

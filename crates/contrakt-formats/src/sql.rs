//! SQL DDL (`CREATE TABLE`) → Schema IR, parsed by sqlparser.
//!
//! Without a dialect the text is tried as generic SQL, then PostgreSQL, BigQuery, Snowflake,
//! Databricks, Hive, Spark SQL and MySQL; the first that parses the whole file wins. Each
//! `CREATE TABLE` becomes an [`Object`] (`name`: the table name as written, unqualified;
//! `physical_name`: the qualified name; `kind`: `table`). Other statements are skipped, except
//! `COMMENT ON TABLE/COLUMN`, which set descriptions.
//!
//! Column types go through `contrakt_core::ir::parse_physical_type`, with nested
//! `STRUCT<…>`/`ARRAY<…>`/`MAP<…>`, `ENUM(…)`, unsigned integers and a few spellings it lacks
//! handled here. A bare `TIMESTAMP` means "with time zone" for BigQuery, Databricks and Spark
//! when that dialect is named, and "without" otherwise.
//!
//! `ALTER TABLE … ADD CONSTRAINT/ADD COLUMN/ALTER COLUMN … SET NOT NULL|DEFAULT` (as pg_dump
//! writes keys) apply to tables created earlier in the file. Tables of the same name in two
//! schemas are named by their qualified names.
//!
//! Pointers are `/tables/<qualified table>/columns/<index>` (struct members add
//! `/fields/<index>`, array items `/items`); each column's span covers its whole definition.

use std::sync::Arc;

use contrakt_core::ir::{
    DataType, Expresses, Field, ForeignKey, Object, RecordModel, Schema, TimeUnit, parse_physical_type,
};
use contrakt_core::{SourceFile, Span};
use serde_json::Value as Json;
use sqlparser::ast::{
    AlterColumnOperation, AlterTableOperation, ArrayElemTypeDef, ColumnDef, ColumnOption, CommentObject, CreateTable,
    DataType as SqlType, EnumMember, Expr, HiveDistributionStyle, ObjectName, ObjectNamePart, Spanned, SqlOption,
    Statement, StructField, TableConstraint, UnaryOperator, Value,
};
use sqlparser::dialect::{DatabricksDialect, Dialect, dialect_from_str};
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Location, Span as SqlSpan};

use crate::Format;
use crate::error::{Error, Kind};
use crate::metadata as meta;
use crate::spans::{escape, offset_of_char_column};

/// The dialects tried, in order, when none is named.
const FALLBACK: [&str; 8] = ["generic", "postgresql", "bigquery", "snowflake", "databricks", "hive", "spark", "mysql"];

/// The sqlparser dialect of this name; Databricks as [`DatabricksSql`].
pub fn sql_dialect(name: &str) -> Option<Box<dyn Dialect>> {
    match name.to_ascii_lowercase().as_str() {
        "databricks" => Some(Box::new(DatabricksSql::default())),
        other => dialect_from_str(other),
    }
}

/// Databricks (Spark SQL): sqlparser's Databricks dialect, reading string literals with
/// backslash escapes as Spark does (`'it\'s'`, `'C:\\data'`; Spark's own `SHOW CREATE TABLE`
/// writes them), which sqlparser's Databricks dialect does not.
#[derive(Debug, Default)]
pub struct DatabricksSql(DatabricksDialect);

impl Dialect for DatabricksSql {
    fn dialect(&self) -> std::any::TypeId {
        self.0.dialect()
    }
    fn supports_string_literal_backslash_escape(&self) -> bool {
        true
    }
    fn is_delimited_identifier_start(&self, ch: char) -> bool {
        self.0.is_delimited_identifier_start(ch)
    }
    fn is_identifier_start(&self, ch: char) -> bool {
        self.0.is_identifier_start(ch)
    }
    fn is_identifier_part(&self, ch: char) -> bool {
        self.0.is_identifier_part(ch)
    }
    fn supports_numeric_prefix(&self) -> bool {
        self.0.supports_numeric_prefix()
    }
    fn supports_filter_during_aggregation(&self) -> bool {
        self.0.supports_filter_during_aggregation()
    }
    fn supports_group_by_expr(&self) -> bool {
        self.0.supports_group_by_expr()
    }
    fn supports_table_versioning(&self) -> bool {
        self.0.supports_table_versioning()
    }
    fn supports_lambda_functions(&self) -> bool {
        self.0.supports_lambda_functions()
    }
    fn supports_select_wildcard_except(&self) -> bool {
        self.0.supports_select_wildcard_except()
    }
    fn require_interval_qualifier(&self) -> bool {
        self.0.require_interval_qualifier()
    }
    fn supports_struct_literal(&self) -> bool {
        self.0.supports_struct_literal()
    }
    fn supports_nested_comments(&self) -> bool {
        self.0.supports_nested_comments()
    }
    fn supports_group_by_with_modifier(&self) -> bool {
        self.0.supports_group_by_with_modifier()
    }
    fn supports_values_as_table_factor(&self) -> bool {
        self.0.supports_values_as_table_factor()
    }
    fn supports_optimize_table(&self) -> bool {
        self.0.supports_optimize_table()
    }
    fn supports_bang_not_operator(&self) -> bool {
        self.0.supports_bang_not_operator()
    }
    fn supports_cte_without_as(&self) -> bool {
        self.0.supports_cte_without_as()
    }
    fn supports_select_item_multi_column_alias(&self) -> bool {
        self.0.supports_select_item_multi_column_alias()
    }
}

/// Deepest nesting of brackets accepted (guards the parsers' recursion).
const MAX_NESTING: usize = 32;

/// Reads `CREATE TABLE` statements. `dialect`: a sqlparser dialect name (`postgresql`,
/// `bigquery`, `snowflake`, `databricks`, `hive`, `spark`, `mysql`, `generic`, …); `None` tries
/// the common ones in turn.
pub fn load_sql(name: &str, text: &str, dialect: Option<&str>) -> Result<Schema, Error> {
    let file = SourceFile::new(name, text);
    let located = |kind, at: Option<(usize, usize)>, message: String| {
        Error::at_line(kind, Format::SqlDdl, name, at.map(|a| a.0), at.map(|a| a.1), message)
    };
    if let Some((line, column)) = too_deep(text) {
        return Err(located(
            Kind::Unsupported,
            Some((line, column)),
            format!("brackets nest deeper than {MAX_NESTING} levels"),
        ));
    }
    let named = dialect.map(str::to_ascii_lowercase);
    let candidates: Vec<(&str, Box<dyn Dialect>)> = match named.as_deref() {
        Some(d) => match sql_dialect(d) {
            Some(parsed) => vec![(d, parsed)],
            None => {
                return Err(located(
                    Kind::Unsupported,
                    None,
                    format!(
                        "unknown SQL dialect `{d}`; known: {}, redshift, mssql, sqlite, duckdb, clickhouse, oracle, ansi",
                        FALLBACK.join(", ")
                    ),
                ));
            }
        },
        None => FALLBACK.iter().filter_map(|d| sql_dialect(d).map(|parsed| (*d, parsed))).collect(),
    };
    let mut failures: Vec<Failure> = Vec::new();
    for (dialect_name, d) in &candidates {
        match Parser::parse_sql(d.as_ref(), text) {
            Ok(statements) => return Lower::new(&file, dialect_name).run(statements),
            Err(e) => {
                let (message, at) = split_location(&e);
                failures.push((dialect_name, message, at));
            }
        }
    }
    // Report the dialect that got furthest (the first of equals): its error is the most likely one.
    let tried: Vec<&str> = failures.iter().map(|f| f.0).collect();
    let best = failures.iter().rev().max_by_key(|f| f.2.unwrap_or((0, 0)));
    let Some((best_dialect, message, at)) = best else {
        return Err(located(Kind::Syntax, None, "no SQL dialect to try".to_string()));
    };
    let context = if tried.len() > 1 {
        format!(" (tried the {} dialects; {best_dialect} got furthest)", tried.join(", "))
    } else {
        format!(" ({best_dialect} dialect)")
    };
    Err(located(Kind::Syntax, *at, format!("{message}{context}")))
}

/// A dialect that could not parse the text: its name, the message and where.
type Failure<'a> = (&'a str, String, Option<(usize, usize)>);

/// sqlparser puts the position in the message: `… at Line: 3, Column: 5`.
fn split_location(e: &ParserError) -> (String, Option<(usize, usize)>) {
    let raw = match e {
        ParserError::TokenizerError(s) | ParserError::ParserError(s) => s.clone(),
        ParserError::RecursionLimitExceeded => return ("the statement nests too deeply".to_string(), None),
    };
    let Some(i) = raw.rfind(" at Line: ") else { return (raw, None) };
    let rest = &raw[i + " at Line: ".len()..];
    let mut parts = rest.split(", Column: ");
    let line = parts.next().and_then(|l| l.trim().parse::<usize>().ok());
    let column = parts.next().and_then(|c| c.trim().parse::<usize>().ok());
    match (line, column) {
        (Some(l), Some(c)) if l > 0 => (raw[..i].to_string(), Some((l, c.max(1)))),
        _ => (raw, None),
    }
}

/// The first place where brackets nest deeper than [`MAX_NESTING`], outside quotes and
/// comments. sqlparser bounds expression recursion but not type recursion (`STRUCT<STRUCT<…>>`),
/// which overflows the stack in debug builds past ~60 levels.
fn too_deep(text: &str) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let (mut paren, mut angle) = (0usize, 0usize);
    let mut i = 0;
    while i < bytes.len() {
        if let Some(end) = skip_opaque(bytes, i) {
            i = end + 1;
            continue;
        }
        match bytes[i] {
            b'(' | b'[' => paren += 1,
            b')' | b']' => paren = paren.saturating_sub(1),
            b'<' if angle > 0 || opens_angle(&text[..i]) => angle += 1,
            b'>' if angle > 0 => angle -= 1,
            b';' => (paren, angle) = (0, 0),
            _ => {}
        }
        if paren + angle > MAX_NESTING {
            let loc = SourceFile::new("", text).location(i);
            return Some((loc.line, loc.column));
        }
        i += 1;
    }
    None
}

/// The parts of a name as written; a BigQuery `` `project.dataset.table` `` is three parts.
fn ident_names(name: &ObjectName) -> Vec<String> {
    name.0
        .iter()
        .flat_map(|part| match part {
            ObjectNamePart::Identifier(i) if i.quote_style == Some('`') && i.value.contains('.') => {
                i.value.split('.').map(str::to_string).collect::<Vec<_>>()
            }
            ObjectNamePart::Identifier(i) => vec![i.value.clone()],
            other => vec![other.to_string()],
        })
        .collect()
}

fn same(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// The table a statement names: by qualified name when qualified, else by table name.
fn find_table(objects: &[Object], names: &[String]) -> Option<usize> {
    let qualified = names.join(".");
    objects
        .iter()
        .position(|o| o.physical_name.as_deref().is_some_and(|p| same(p, &qualified)))
        .or_else(|| names.last().and_then(|n| objects.iter().position(|o| same(&o.name, n))))
}

/// Primary-key positions (1-based, in key order); key columns are never null.
fn number_keys(object: &mut Object) {
    for (position, key) in object.primary_key.iter().enumerate() {
        if let Some(f) = object.fields.iter_mut().find(|f| same(&f.name, key)) {
            f.primary_key_position = Some(u32::try_from(position + 1).unwrap_or(u32::MAX));
            f.nullable = false;
        }
    }
}

struct Lower<'a> {
    file: &'a Arc<SourceFile>,
    dialect: &'a str,
}

impl<'a> Lower<'a> {
    fn new(file: &'a Arc<SourceFile>, dialect: &'a str) -> Self {
        Lower { file, dialect }
    }

    fn offset(&self, loc: Location) -> Option<usize> {
        let line = usize::try_from(loc.line).ok().filter(|l| *l > 0)?;
        let column = usize::try_from(loc.column).ok()?;
        Some(offset_of_char_column(self.file, line, column))
    }

    fn span(&self, span: SqlSpan) -> Span {
        match (self.offset(span.start), self.offset(span.end)) {
            (Some(s), Some(e)) => Span::new(s, e),
            _ => Span::NONE,
        }
    }

    fn error(&self, kind: Kind, span: SqlSpan, message: String) -> Error {
        Error::at_span(kind, Format::SqlDdl, self.file, Some(self.span(span)), message)
    }

    fn run(&self, statements: Vec<Statement>) -> Result<Schema, Error> {
        let mut objects: Vec<Object> = Vec::new();
        let mut skipped = 0usize;
        for statement in statements {
            match statement {
                Statement::CreateTable(table) => {
                    let object = self.table(&table)?;
                    if objects.iter().any(|o| o.physical_name == object.physical_name) {
                        return Err(self.error(
                            Kind::Invalid,
                            table.name.span(),
                            format!("the table `{}` is created twice", object.physical_name.unwrap_or_default()),
                        ));
                    }
                    objects.push(object);
                }
                Statement::AlterTable(alter) => {
                    // pg_dump declares keys and constraints this way. Tables from elsewhere are skipped.
                    if let Some(i) = find_table(&objects, &ident_names(&alter.name)) {
                        for operation in &alter.operations {
                            self.alter(&mut objects[i], operation)?;
                        }
                    }
                }
                Statement::Comment { object_type, object_name, comment: Some(text), .. } => {
                    apply_comment(&mut objects, &object_type, &ident_names(&object_name), text);
                }
                _ => skipped += 1,
            }
        }
        if objects.is_empty() {
            return Err(Error::at_line(
                Kind::Unsupported,
                Format::SqlDdl,
                self.file.name(),
                None,
                None,
                format!("no CREATE TABLE statement found ({skipped} other statements)"),
            ));
        }
        // Tables of the same name in different schemas keep their qualified names.
        let clashes: Vec<bool> =
            objects.iter().map(|o| objects.iter().filter(|other| same(&other.name, &o.name)).count() > 1).collect();
        for (o, clash) in objects.iter_mut().zip(clashes) {
            if clash {
                o.name = o.physical_name.clone().unwrap_or_default();
            }
            column_foreign_keys(o);
        }
        Ok(Schema {
            source: self.file.name().to_string(),
            record_model: RecordModel::ByNameStrict,
            // Comments, keys, defaults, VARCHAR lengths and table names; CHECK constraints are
            // kept as text, not as bounds, patterns or domains.
            expresses: Expresses {
                descriptions: true,
                keys: true,
                defaults: true,
                lengths: true,
                physical_names: true,
                partitioning: true,
                ..Expresses::NONE
            },
            qualified_paths: true,
            objects,
            proto_files: Vec::new(),
            facts: Default::default(),
        })
    }

    fn table(&self, t: &CreateTable) -> Result<Object, Error> {
        let names = ident_names(&t.name);
        let name = names.last().cloned().unwrap_or_default();
        let physical = names.join(".");
        let pointer = format!("/tables/{}", escape(&physical));
        if t.columns.is_empty() && t.query.is_some() {
            return Err(self.error(
                Kind::Unsupported,
                t.name.span(),
                format!("`CREATE TABLE {name} AS SELECT …` lists no columns; contrakt reads column definitions"),
            ));
        }
        let mut fields: Vec<Field> = Vec::with_capacity(t.columns.len());
        let mut column_keys: Vec<usize> = Vec::new();
        for (i, c) in t.columns.iter().enumerate() {
            if let Some(first) = t.columns[..i].iter().find(|o| same(&o.name.value, &c.name.value)) {
                return Err(self.error(
                    Kind::Invalid,
                    c.name.span,
                    format!(
                        "the table `{name}` defines the column `{}` twice (first as `{}`)",
                        c.name.value, first.name.value
                    ),
                ));
            }
            let (field, is_key) = self.column(c, format!("{pointer}/columns/{i}"))?;
            if is_key {
                column_keys.push(i);
            }
            fields.push(field);
        }
        if let Some(&second) = column_keys.get(1) {
            return Err(self.error(
                Kind::Invalid,
                t.columns[second].name.span,
                format!("the table `{name}` declares PRIMARY KEY on more than one column; use a table-level PRIMARY KEY (a, b)"),
            ));
        }
        let primary_key = column_keys.first().map(|&i| fields[i].name.clone()).into_iter().collect();
        let mut object = Object {
            name,
            physical_name: Some(physical),
            id: None,
            kind: Some("table".to_string()),
            fields,
            primary_key,
            partitioning: Vec::new(),
            foreign_keys: Vec::new(),
            description: table_comment(t),
            span: self.span(t.span()),
            pointer,
            tags: Vec::new(),
            custom_properties: Default::default(),
            quality: Vec::new(),
            json_schema: None,
        };
        for constraint in &t.constraints {
            self.constraint(&mut object, constraint)?;
        }
        object.partitioning = self.partitioning(t, &mut object.fields, &object.pointer)?;
        number_keys(&mut object);
        Ok(object)
    }

    /// A table-level constraint, in `CREATE TABLE` or `ALTER TABLE … ADD`.
    fn constraint(&self, object: &mut Object, constraint: &TableConstraint) -> Result<(), Error> {
        let name = object.name.clone();
        match constraint {
            TableConstraint::PrimaryKey(pk) => {
                if !object.primary_key.is_empty() {
                    return Err(self.error(
                        Kind::Invalid,
                        constraint.span(),
                        format!("the table `{name}` declares more than one primary key"),
                    ));
                }
                for col in &pk.columns {
                    let column = self.constraint_column(&col.column.expr, &object.fields, &name, "PRIMARY KEY")?;
                    let column = object.fields[column].name.clone();
                    if object.primary_key.iter().any(|k| same(k, &column)) {
                        return Err(self.error(
                            Kind::Invalid,
                            col.column.expr.span(),
                            format!("the PRIMARY KEY of `{name}` lists `{column}` twice"),
                        ));
                    }
                    object.primary_key.push(column);
                }
            }
            TableConstraint::Unique(u) if u.columns.len() == 1 => {
                let column = self.constraint_column(&u.columns[0].column.expr, &object.fields, &name, "UNIQUE")?;
                object.fields[column].unique = true;
            }
            TableConstraint::Check(check) => {
                let expr = check.expr.to_string();
                for f in object.fields.iter_mut().filter(|f| mentions(&expr, &f.name)) {
                    add_check(f, &expr);
                }
            }
            TableConstraint::ForeignKey(fk) => {
                // Tables are objects by their unqualified name (as ODCS `to: orders.order_id` says).
                let target = ident_names(&fk.foreign_table).last().cloned().unwrap_or_default();
                let from: Vec<String> = fk
                    .columns
                    .iter()
                    .map(|c| {
                        object
                            .fields
                            .iter()
                            .find(|f| same(&f.name, &c.value))
                            .map_or(c.value.clone(), |f| f.name.clone())
                    })
                    .collect();
                let to = match fk.referred_columns.as_slice() {
                    [] => vec![target],
                    cols => cols.iter().map(|c| format!("{target}.{}", c.value)).collect(),
                };
                object.foreign_keys.push(ForeignKey { from, to, span: object.span });
            }
            _ => {}
        }
        Ok(())
    }

    /// `ALTER TABLE` operations that shape the schema: added constraints and columns,
    /// `SET/DROP NOT NULL`, `SET/DROP DEFAULT`.
    fn alter(&self, object: &mut Object, operation: &AlterTableOperation) -> Result<(), Error> {
        match operation {
            AlterTableOperation::AddConstraint { constraint, .. } => {
                self.constraint(object, constraint)?;
                number_keys(object);
            }
            AlterTableOperation::AddColumn { column_def, .. } => {
                if object.fields.iter().any(|f| same(&f.name, &column_def.name.value)) {
                    return Err(self.error(
                        Kind::Invalid,
                        column_def.name.span,
                        format!(
                            "ALTER TABLE adds the column `{}`, which `{}` already has",
                            column_def.name.value, object.name
                        ),
                    ));
                }
                let pointer = format!("{}/columns/{}", object.pointer, object.fields.len());
                let (field, is_key) = self.column(column_def, pointer)?;
                let name = field.name.clone();
                object.fields.push(field);
                if is_key {
                    if !object.primary_key.is_empty() {
                        return Err(self.error(
                            Kind::Invalid,
                            column_def.name.span,
                            format!("the table `{}` declares more than one primary key", object.name),
                        ));
                    }
                    object.primary_key.push(name);
                    number_keys(object);
                }
            }
            AlterTableOperation::AlterColumn { column_name, op } => {
                let Some(f) = object.fields.iter_mut().find(|f| same(&f.name, &column_name.value)) else {
                    return Ok(());
                };
                match op {
                    AlterColumnOperation::SetNotNull => f.nullable = false,
                    AlterColumnOperation::DropNotNull => f.nullable = f.primary_key_position.is_none(),
                    AlterColumnOperation::SetDefault { value } => f.default = Some(default_json(value)),
                    AlterColumnOperation::DropDefault => f.default = None,
                    _ => {}
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The column a key or unique constraint names.
    fn constraint_column(&self, expr: &Expr, fields: &[Field], table: &str, what: &str) -> Result<usize, Error> {
        let column = match expr {
            Expr::Identifier(i) => Some(i.value.as_str()),
            Expr::CompoundIdentifier(parts) => parts.last().map(|i| i.value.as_str()),
            _ => None,
        };
        let Some(column) = column else {
            return Err(self.error(
                Kind::Unsupported,
                expr.span(),
                format!("{what} on the expression `{expr}`; contrakt reads column lists"),
            ));
        };
        fields.iter().position(|f| same(&f.name, column)).ok_or_else(|| {
            self.error(
                Kind::Invalid,
                expr.span(),
                format!("{what} names the column `{column}`, which the table `{table}` does not define"),
            )
        })
    }

    /// Hive/Databricks `PARTITIONED BY (…)` and BigQuery `PARTITION BY expr`.
    fn partitioning(&self, t: &CreateTable, fields: &mut Vec<Field>, pointer: &str) -> Result<Vec<String>, Error> {
        let mut out: Vec<String> = Vec::new();
        if let HiveDistributionStyle::PARTITIONED { columns } = &t.hive_distribution {
            for c in columns {
                let existing = fields.iter().position(|f| same(&f.name, &c.name.value));
                let index = match existing {
                    Some(i) => i,
                    // Hive declares partition columns only here, with their types.
                    None if c.data_type != SqlType::Unspecified => {
                        let (field, _) = self.column(c, format!("{pointer}/columns/{}", fields.len()))?;
                        fields.push(field);
                        fields.len() - 1
                    }
                    None => {
                        return Err(self.error(
                            Kind::Invalid,
                            c.name.span,
                            format!(
                                "PARTITIONED BY names the column `{}`, which the table does not define",
                                c.name.value
                            ),
                        ));
                    }
                };
                out.push(fields[index].name.clone());
            }
        }
        if let Some(expr) = &t.partition_by {
            let text = expr.to_string();
            if let Some(f) = fields.iter().find(|f| mentions(&text, &f.name))
                && !out.contains(&f.name)
            {
                out.push(f.name.clone());
            }
        }
        for (position, name) in out.iter().enumerate() {
            if let Some(f) = fields.iter_mut().find(|f| &f.name == name) {
                f.partition_position = Some(u32::try_from(position + 1).unwrap_or(u32::MAX));
            }
        }
        Ok(out)
    }

    /// A column and whether it is declared `PRIMARY KEY` itself.
    fn column(&self, c: &ColumnDef, pointer: String) -> Result<(Field, bool), Error> {
        let (data_type, max_length) = self.sql_type(&c.data_type, &pointer, 0);
        let mut field = Field::new(c.name.value.clone(), data_type);
        field.constraints.max_length = max_length;
        field.metadata.insert(meta::PHYSICAL_TYPE.to_string(), c.data_type.to_string());
        let mut is_key = false;
        for option in &c.options {
            match &option.option {
                ColumnOption::Null => field.nullable = true,
                ColumnOption::NotNull => field.nullable = false,
                ColumnOption::Default(expr) => field.default = Some(default_json(expr)),
                ColumnOption::PrimaryKey(_) => is_key = true,
                ColumnOption::Unique(_) => field.unique = true,
                ColumnOption::Check(check) => add_check(&mut field, &check.expr.to_string()),
                ColumnOption::Comment(text) => field.description = Some(text.clone()),
                ColumnOption::ForeignKey(fk) => {
                    let target = ident_names(&fk.foreign_table).join(".");
                    let cols: Vec<&str> = fk.referred_columns.iter().map(|c| c.value.as_str()).collect();
                    field.metadata.insert(meta::REFERENCES.to_string(), format!("{target}({})", cols.join(", ")));
                }
                ColumnOption::Generated { generation_expr: Some(expr), .. } => {
                    field.metadata.insert(meta::GENERATED.to_string(), expr.to_string());
                }
                ColumnOption::Options(options) => {
                    if let Some(d) = description_option(options) {
                        field.description = Some(d);
                    }
                }
                _ => {}
            }
        }
        if is_key {
            field.nullable = false;
        }
        field.span = self.column_span(c);
        field.pointer = pointer;
        Ok((field, is_key))
    }

    /// From the column name to the comma or parenthesis that ends its definition.
    fn column_span(&self, c: &ColumnDef) -> Span {
        let (Some(start), Some(name_end)) = (self.offset(c.name.span.start), self.offset(c.name.span.end)) else {
            return Span::NONE;
        };
        let text = self.file.text();
        let end = definition_end(text, name_end.max(start), false);
        Span::new(start, end)
    }

    /// A STRUCT member: from its name to the `,` or `>` that ends it.
    fn member_span(&self, name: &sqlparser::ast::Ident) -> Span {
        let (Some(start), Some(name_end)) = (self.offset(name.span.start), self.offset(name.span.end)) else {
            return Span::NONE;
        };
        Span::new(start, definition_end(self.file.text(), name_end.max(start), true))
    }

    /// An SQL type: its IR type and, for character types, the declared length.
    fn sql_type(&self, t: &SqlType, pointer: &str, depth: usize) -> (DataType, Option<u64>) {
        if depth > MAX_NESTING {
            return (DataType::Unknown(t.to_string()), None);
        }
        let element = |name: &str, t: &SqlType, pointer: String| -> Field {
            let (data_type, max_length) = self.sql_type(t, &pointer, depth + 1);
            let mut f = Field::new(name, data_type);
            f.constraints.max_length = max_length;
            f.metadata.insert(meta::PHYSICAL_TYPE.to_string(), t.to_string());
            f.pointer = pointer;
            f
        };
        match t {
            SqlType::Struct(members, _) | SqlType::Tuple(members) => {
                (DataType::Struct(self.struct_fields(members, pointer, depth)), None)
            }
            SqlType::Array(ArrayElemTypeDef::AngleBracket(inner))
            | SqlType::Array(ArrayElemTypeDef::SquareBracket(inner, _))
            | SqlType::Array(ArrayElemTypeDef::Parenthesis(inner)) => {
                (DataType::List(Box::new(element("item", inner, format!("{pointer}/items")))), None)
            }
            SqlType::Array(ArrayElemTypeDef::None) => {
                let mut item = Field::new("item", DataType::Any);
                item.pointer = format!("{pointer}/items");
                (DataType::List(Box::new(item)), None)
            }
            SqlType::Map(k, v) => {
                let mut key = element("key", k, format!("{pointer}/key"));
                key.nullable = false;
                let value = element("value", v, format!("{pointer}/value"));
                (DataType::Map { key: Box::new(key), value: Box::new(value) }, None)
            }
            SqlType::Enum(members, _) => {
                let symbols = members
                    .iter()
                    .map(|m| match m {
                        EnumMember::Name(n) | EnumMember::NamedValue(n, _) => n.clone(),
                    })
                    .collect();
                (DataType::Enum { symbols, default: None, open: false }, None)
            }
            SqlType::Nullable(inner) | SqlType::LowCardinality(inner) => self.sql_type(inner, pointer, depth + 1),
            // BigQuery `STRING(n)`: parse_physical_type keeps no length for `string`.
            SqlType::String(Some(n)) => (DataType::String, Some(*n)),
            other => {
                let text = other.to_string();
                if let Some(t) = self.dialect_type(&text) {
                    return (t, None);
                }
                match parse_physical_type(&text) {
                    Some(p) => (p.data_type, p.max_length),
                    None => (extra_type(&text).unwrap_or(DataType::Unknown(text)), None),
                }
            }
        }
    }

    fn struct_fields(&self, members: &[StructField], pointer: &str, depth: usize) -> Vec<Field> {
        members
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let name = m.field_name.as_ref().map_or_else(|| format!("_{}", i + 1), |n| n.value.clone());
                let p = format!("{pointer}/fields/{i}");
                let (data_type, max_length) = self.sql_type(&m.field_type, &p, depth + 1);
                let mut f = Field::new(name, data_type);
                f.constraints.max_length = max_length;
                f.metadata.insert(meta::PHYSICAL_TYPE.to_string(), m.field_type.to_string());
                if let Some(d) = m.options.as_deref().and_then(description_option) {
                    f.description = Some(d);
                }
                if let Some(n) = &m.field_name {
                    f.span = self.member_span(n);
                }
                f.pointer = p;
                f
            })
            .collect()
    }

    /// Spellings whose meaning depends on the dialect.
    fn dialect_type(&self, text: &str) -> Option<DataType> {
        let t = text.trim().to_ascii_lowercase();
        let (base, precision) = match t.split_once('(') {
            Some((b, rest)) => (b.trim().to_string(), rest.trim_end_matches(')').trim().parse::<u64>().ok()),
            None => (t.clone(), None),
        };
        let spark = matches!(self.dialect, "databricks" | "spark" | "sparksql");
        // Spark's FLOAT is 4 bytes (elsewhere it is a synonym of DOUBLE PRECISION).
        if base == "float" && precision.is_none() && spark {
            return Some(DataType::Float { bits: Some(32) });
        }
        let zoned = spark || self.dialect == "bigquery";
        // BigQuery and Spark timestamps are instants, stored in microseconds.
        (base == "timestamp" && zoned).then(|| DataType::Timestamp {
            unit: Some(precision.map_or(TimeUnit::Microsecond, unit_of)),
            timezone: Some(true),
        })
    }
}

fn unit_of(precision: u64) -> TimeUnit {
    match precision {
        0 => TimeUnit::Second,
        1..=3 => TimeUnit::Millisecond,
        4..=6 => TimeUnit::Microsecond,
        _ => TimeUnit::Nanosecond,
    }
}

/// Types `parse_physical_type` does not know.
fn extra_type(text: &str) -> Option<DataType> {
    let t = text.trim().to_ascii_lowercase();
    let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some(base) = t.strip_suffix(" unsigned") {
        // `INT(11) UNSIGNED`: the display width means nothing.
        let base = base.split('(').next().unwrap_or(base).trim();
        return match parse_physical_type(base)?.data_type {
            DataType::Int { bits, .. } => Some(DataType::Int { bits, signed: false }),
            other => Some(other),
        };
    }
    let base = t.split('(').next().unwrap_or(&t).trim();
    match base {
        "smallserial" | "serial2" => Some(DataType::int(16)),
        "serial4" => Some(DataType::int(32)),
        "serial8" => Some(DataType::int(64)),
        "timestamp with local time zone" => Some(DataType::Timestamp { unit: None, timezone: Some(true) }),
        "timetz" | "time with time zone" => Some(DataType::Time { unit: None }),
        "year" => Some(DataType::int(16)),
        _ if base.starts_with("interval") => Some(DataType::Duration),
        _ => None,
    }
}

/// Where a column definition ends: the next `,` or `)` outside brackets, quotes and comments
/// (and, for a STRUCT member, `>`). `<`…`>` count as brackets only after STRUCT, ARRAY or MAP
/// (so `CHECK (a < b)` is safe).
fn definition_end(text: &str, from: usize, member: bool) -> usize {
    let bytes = text.as_bytes();
    let (mut paren, mut angle) = (0usize, 0usize);
    let mut i = from;
    while i < bytes.len() {
        if let Some(end) = skip_opaque(bytes, i) {
            i = end + 1;
            continue;
        }
        match bytes[i] {
            b'(' | b'[' => paren += 1,
            b')' | b']' if paren > 0 => paren -= 1,
            b')' | b']' => break,
            b'<' if paren == 0 && (angle > 0 || opens_angle(&text[from..i])) => angle += 1,
            b'>' if paren == 0 && angle > 0 => angle -= 1,
            b'>' if paren == 0 && member => break,
            b',' | b';' if paren == 0 && angle == 0 => break,
            _ => {}
        }
        i += 1;
    }
    let end = i.min(bytes.len());
    from + text[from..end].trim_end().len()
}

/// At a quoted string or identifier, a `--` comment or a `/* */` comment: the index of its
/// last byte, so bracket scans skip what brackets inside them mean nothing.
fn skip_opaque(bytes: &[u8], i: usize) -> Option<usize> {
    let find =
        |from: usize, pred: &dyn Fn(usize) -> bool| (from..bytes.len()).find(|&j| pred(j)).unwrap_or(bytes.len());
    match bytes[i] {
        q @ (b'\'' | b'"' | b'`') => Some(find(i + 1, &|j| bytes[j] == q)),
        b'-' if bytes.get(i + 1) == Some(&b'-') => Some(find(i, &|j| bytes[j] == b'\n')),
        b'/' if bytes.get(i + 1) == Some(&b'*') => {
            Some(find(i + 2, &|j| bytes[j] == b'*' && bytes.get(j + 1) == Some(&b'/')) + 1)
        }
        _ => None,
    }
}

fn opens_angle(before: &str) -> bool {
    let word: String = before
        .trim_end()
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    matches!(word.to_ascii_lowercase().as_str(), "struct" | "array" | "map")
}

/// Does an expression's text mention this column (as a whole word, outside string literals)?
fn mentions(expr: &str, column: &str) -> bool {
    let mut in_string = false;
    let mut word = String::new();
    for c in expr.chars().chain(std::iter::once(' ')) {
        if in_string {
            in_string = c != '\'';
            continue;
        }
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
            continue;
        }
        if !word.is_empty() && same(&word, column) {
            return true;
        }
        word.clear();
        in_string = c == '\'';
    }
    false
}

fn add_check(field: &mut Field, expr: &str) {
    let merged = match field.metadata.get(meta::CHECK) {
        Some(existing) => format!("{existing} AND {expr}"),
        None => expr.to_string(),
    };
    field.metadata.insert(meta::CHECK.to_string(), merged);
}

/// `DEFAULT` as JSON: literals as such (also under a cast, `'x'::text`), anything else as the
/// SQL text of the expression.
fn default_json(expr: &Expr) -> Json {
    match expr {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => {
                serde_json::from_str::<serde_json::Number>(n).map_or_else(|_| Json::String(n.clone()), Json::Number)
            }
            Value::Boolean(b) => Json::Bool(*b),
            Value::Null => Json::Null,
            other => other.clone().into_string().map_or_else(|| Json::String(expr.to_string()), Json::String),
        },
        Expr::UnaryOp { op: UnaryOperator::Minus, expr: inner } => match default_json(inner) {
            Json::Number(n) => serde_json::from_str::<serde_json::Number>(&format!("-{n}"))
                .map_or_else(|_| Json::String(expr.to_string()), Json::Number),
            _ => Json::String(expr.to_string()),
        },
        Expr::Nested(inner) => default_json(inner),
        Expr::Cast { expr: inner, .. } if matches!(**inner, Expr::Value(_)) => default_json(inner),
        _ => Json::String(expr.to_string()),
    }
}

/// A string literal; `"…"` too, which generic SQL reads as a quoted identifier.
fn string_value(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Identifier(i) if i.quote_style == Some('"') => Some(i.value.clone()),
        Expr::Value(v) => v.value.clone().into_string(),
        _ => None,
    }
}

/// BigQuery `OPTIONS(description = "…")`.
fn description_option(options: &[SqlOption]) -> Option<String> {
    options.iter().find_map(|o| match o {
        SqlOption::KeyValue { key, value } if same(&key.value, "description") => string_value(value),
        _ => None,
    })
}

fn table_comment(t: &CreateTable) -> Option<String> {
    use sqlparser::ast::{CommentDef, CreateTableOptions};
    if let Some(CommentDef::WithEq(c) | CommentDef::WithoutEq(c)) = &t.comment {
        return Some(c.clone());
    }
    let options = match &t.table_options {
        CreateTableOptions::With(o)
        | CreateTableOptions::Options(o)
        | CreateTableOptions::Plain(o)
        | CreateTableOptions::TableProperties(o) => o.as_slice(),
        CreateTableOptions::None => &[],
    };
    options
        .iter()
        .find_map(|o| match o {
            SqlOption::Comment(CommentDef::WithEq(c) | CommentDef::WithoutEq(c)) => Some(c.clone()),
            SqlOption::KeyValue { key, value } if same(&key.value, "comment") => string_value(value),
            _ => None,
        })
        .or_else(|| description_option(options))
}

fn apply_comment(objects: &mut [Object], object_type: &CommentObject, names: &[String], text: String) {
    match object_type {
        CommentObject::Table => {
            if let Some(i) = find_table(objects, names) {
                objects[i].description = Some(text);
            }
        }
        CommentObject::Column => {
            let Some((column, table)) = names.split_last() else { return };
            if let Some(f) =
                find_table(objects, table).and_then(|i| objects[i].fields.iter_mut().find(|f| same(&f.name, column)))
            {
                f.description = Some(text);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests;

/// Column-level `REFERENCES table(column)` (kept as field metadata while the table is read) as
/// the object's foreign keys, after the table-level ones.
fn column_foreign_keys(object: &mut Object) {
    for f in &object.fields {
        let Some((target, cols)) = f.metadata.get(meta::REFERENCES).and_then(|r| r.strip_suffix(')')?.split_once('('))
        else {
            continue;
        };
        let target = target.rsplit('.').next().unwrap_or(target);
        let to = match cols.trim() {
            "" => vec![target.to_string()],
            cols => cols.split(',').map(|c| format!("{target}.{}", c.trim())).collect(),
        };
        object.foreign_keys.push(ForeignKey { from: vec![f.name.clone()], to, span: f.span });
    }
}

#[cfg(test)]
mod scan_tests {
    use super::skip_opaque;

    #[test]
    fn quotes_and_comments_are_skipped_whole() {
        let t = b"'a(b' -- x(\n/* (( */ (";
        assert_eq!(skip_opaque(t, 0), Some(4), "to the closing quote");
        assert_eq!(skip_opaque(t, 6), Some(11), "to the end of the line");
        assert_eq!(skip_opaque(t, 12), Some(19), "to the closing slash");
        assert_eq!(skip_opaque(t, 21), None);
        assert_eq!(skip_opaque(b"'open", 0), Some(5), "unterminated: to the end");
    }
}

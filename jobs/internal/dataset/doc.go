// Package dataset describes tabular data sets with a [Schema] and reads
// them with a fast, strict CSV [Reader].
//
// A schema is a small JSON file that ships beside the data (for example
// data/abalone/schema.json). It names every column in file order, gives each
// a [ColumnType], picks the target column and the learning [Task], and
// describes how the file is written: whether it has a header line, the field
// separator, which field values mean "missing", a comment prefix and a
// suffix to strip from labels. Code in the job binaries never names a column
// of any data set; it asks the schema ([Schema.TargetIndex],
// [Schema.FeatureIndexes], [Schema.IDIndex]) instead, so a new data set
// needs a schema file and no code change.
//
// # File format
//
// The reader accepts CSV as written by most tools, with these rules:
//
//   - Lines end with "\n" or "\r\n". Blank lines, wherever they are, are
//     skipped, and so are lines that start with the schema's comment prefix.
//     A UTF-8 byte order mark at the start of the file is ignored.
//   - Fields are split on the schema's separator, which may be longer than
//     one byte (the UCI Adult files use ", "). Nothing around a field is
//     trimmed: " 1" is not a number.
//   - A field may be quoted with '"' as in RFC 4180: the separator may then
//     appear inside it, and a quote inside it is written twice (""). A quoted
//     field cannot contain a line break; unlike RFC 4180, every record is
//     exactly one line. A quote inside an unquoted field is an error.
//   - A field that equals one of the schema's missing values (by default
//     only the empty field) is missing. Missing features are allowed; a
//     missing target is an error.
//   - Numeric fields are parsed with [ParseNumber]: anything
//     strconv.ParseFloat accepts as a finite number. NaN and Inf are errors,
//     not missing values; list them in the schema's missingValues if a file
//     uses them that way.
//   - Categorical fields must be valid UTF-8.
//   - With a header line, columns are matched by name and may come in any
//     order. Without one, fields are in schema order.
//
// Every problem with the data is a [*RowError] that names the file, the
// line, the column and the offending value, so that a failing job says
// exactly what to fix. After a *RowError, [Reader.Read] can be called again
// to go on with the next line, so a caller may choose to skip bad rows.
//
// # Performance
//
// The reader sits on the hot path of preprocessing and batch inference, so a
// steady-state [Reader.Read] does not allocate: the [Record] it returns and
// the field slices in it are reused by the next call, and plain decimal
// numbers are parsed without going through a string.
package dataset

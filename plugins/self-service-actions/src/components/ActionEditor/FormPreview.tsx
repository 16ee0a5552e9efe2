import { Component, memo, ReactNode, useMemo } from 'react';
import { isJsonObject, JsonObject } from '@self-service-actions/plugin-self-service-actions-common';
import { withTheme } from '@rjsf/core';
import { Theme as MuiTheme } from '@rjsf/material-ui';
import validator from '@rjsf/validator-ajv8';
import { RegistryFieldsType } from '@rjsf/utils';
import Typography from '@material-ui/core/Typography';
import { EntityPickerField, OwnerPickerField } from '../RunDialog/EntityPickerField';
import { formUiSchema } from '../RunDialog/formUtils';

const Form = withTheme(MuiTheme);
const fields: RegistryFieldsType = { EntityPicker: EntityPickerField, OwnerPicker: OwnerPickerField };

/** Keeps a schema RJSF cannot render (a `$ref` to nowhere) from taking the editor down with it. */
class PreviewBoundary extends Component<{ children: ReactNode; schemaText: string }, { failed?: string }> {
  static getDerivedStateFromError(error: Error) {
    return { failed: error.message };
  }

  state: { failed?: string } = {};

  componentDidUpdate(previous: { schemaText: string }) {
    if (previous.schemaText !== this.props.schemaText && this.state.failed) {
      this.setState({ failed: undefined });
    }
  }

  render() {
    return this.state.failed ? (
      <Typography color="error">The form cannot be drawn from this schema: {this.state.failed}</Typography>
    ) : (
      this.props.children
    );
  }
}

/** Props of {@link FormPreview}. */
export interface FormPreviewProps {
  /** The input schema and uiSchema as the editor holds them (JSON text). */
  schemaText: string;
  uiSchemaText: string;
  formData: JsonObject;
  onChange(formData: JsonObject): void;
}

function parsed(text: string): JsonObject | undefined {
  try {
    const value = text.trim() ? JSON.parse(text) : undefined;
    return isJsonObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The run form as developers will see it, drawn live from the schema being edited; what is
 * typed in it is what "Preview request" and "Test run" send.
 */
export const FormPreview = memo(function FormPreviewView(props: FormPreviewProps) {
  const { schemaText, uiSchemaText, formData, onChange } = props;
  const schema = useMemo(() => parsed(schemaText), [schemaText]);
  const uiSchema = useMemo(() => parsed(uiSchemaText), [uiSchemaText]);
  if (!schema) {
    return (
      <Typography color="textSecondary">
        {/^\s*\[/.test(schemaText)
          ? 'A list of inputs (configure8 style) is turned into a form when saved: save to see it on Run.'
          : "Fix the input schema's JSON to see the form."}
      </Typography>
    );
  }
  return (
    <PreviewBoundary schemaText={schemaText}>
      <Form
        schema={schema as any}
        uiSchema={{ ...formUiSchema(schema, uiSchema), 'ui:submitButtonOptions': { norender: true } }}
        formData={formData}
        fields={fields}
        validator={validator}
        showErrorList={false}
        noHtml5Validate
        onChange={event => onChange((event.formData ?? {}) as JsonObject)}
      />
    </PreviewBoundary>
  );
});

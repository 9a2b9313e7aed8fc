{{- define "fluid-etcd.initialCluster" -}}
{{- range $i := until (int .Values.parameters.fluid_etcd.replicas) -}}
{{- if $i }},{{ end }}fluid-etcd-{{ $i }}=http://fluid-etcd-{{ $i }}.fluid-etcd-peer:2380
{{- end -}}
{{- end -}}
